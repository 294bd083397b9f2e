#include "loopback_cluster.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

namespace raftkv::net::testing {

bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    io.run_for(5ms);
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  const auto deadline = std::chrono::steady_clock::now() + duration;
  run_until(
      io, [&] { return std::chrono::steady_clock::now() >= deadline; }, duration + 1s);
}

TransportOptions test_options() {
  TransportOptions options;
  options.cluster_id = "test-cluster";
  options.backoff_initial = 5ms;
  options.backoff_max = 50ms;
  auto logger =
      std::make_shared<spdlog::logger>("net-test", std::make_shared<spdlog::sinks::null_sink_mt>());
  options.logger = std::move(logger);
  return options;
}

uint16_t unused_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
  return probe.local_endpoint().port();
}

raft::Message full_message(raft::NodeId from, raft::NodeId to, uint64_t seq) {
  raft::Message m;
  m.type = raft::MessageType::kApp;
  m.from = from;
  m.to = to;
  m.term = 7;
  m.index = 100 + seq;
  m.log_term = 6;
  m.entries = {{6, 101 + seq, raft::EntryType::kNormal, "set k v"},
               {7, 102 + seq, raft::EntryType::kConfChange, std::string("\0\xff\x01", 3)}};
  m.commit = 99;
  m.reject = true;
  m.reject_hint = 42;
  m.hint_term = 5;
  m.read_seq = seq;
  m.context = "ctx-" + std::to_string(seq);
  m.snapshot = raft::Snapshot{{200, 7, {{1, 2, 3}, {4}, {5}}}, "image"};
  return m;
}

raft::Message small_message(raft::MessageType type, raft::NodeId from, raft::NodeId to,
                            uint64_t seq) {
  raft::Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = 1;
  m.read_seq = seq;
  return m;
}

LoopbackNode& LoopbackCluster::start(raft::NodeId id, uint16_t port) {
  std::unique_ptr<LoopbackNode>& slot = nodes_[id];
  if (!slot) slot = std::make_unique<LoopbackNode>();
  LoopbackNode& node = *slot;
  node.id = id;

  std::map<raft::NodeId, PeerAddress> peers{{id, {"127.0.0.1", port}}};
  for (const auto& [other_id, other] : nodes_) {
    if (other_id != id && other->port != 0) peers[other_id] = {"127.0.0.1", other->port};
  }
  node.transport = std::make_unique<PeerTransport>(
      io_, id, peers, [&node](raft::Message m) { node.received.push_back(std::move(m)); },
      options_);
  const std::error_code ec = node.transport->start();
  EXPECT_FALSE(ec) << ec.message();
  node.port = node.transport->listen_port();
  for (const auto& [other_id, other] : nodes_) {
    if (other_id != id && other->transport) {
      other->transport->set_peer(id, {"127.0.0.1", node.port});
    }
  }
  return node;
}

void LoopbackCluster::stop(raft::NodeId id) {
  nodes_.at(id)->transport.reset();
}

void LoopbackCluster::add_address(raft::NodeId id, raft::NodeId peer, uint16_t port) {
  std::unique_ptr<LoopbackNode>& slot = nodes_[peer];
  if (!slot) slot = std::make_unique<LoopbackNode>();
  slot->id = peer;
  slot->port = port;
  node(id).transport->set_peer(peer, {"127.0.0.1", port});
}

}  // namespace raftkv::net::testing
