// Test helpers: transports on 127.0.0.1 ephemeral ports driven by one io_context on the
// test thread, and a bounded wait that runs the io_context until a condition holds.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <asio.hpp>

#include "net/peer_transport.h"

namespace raftkv::net::testing {

using namespace std::chrono_literals;

// Runs `io` until `done()` or the timeout; returns done(). Never waits unbounded.
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 10s);
// Runs `io` for a fixed time (for "nothing else happens" checks).
void run_for(asio::io_context& io, std::chrono::milliseconds duration);

// Options for tests: quick reconnects, logs only on errors.
TransportOptions test_options();

// A port on 127.0.0.1 nobody listens on (bound once by the kernel, then released).
uint16_t unused_port();

// An AppendEntries carrying every field of raft::Message, including a snapshot.
raft::Message full_message(raft::NodeId from, raft::NodeId to, uint64_t seq);
raft::Message small_message(raft::MessageType type, raft::NodeId from, raft::NodeId to,
                            uint64_t seq);

struct LoopbackNode {
  raft::NodeId id = raft::kNoNode;
  uint16_t port = 0;
  std::vector<raft::Message> received;
  std::unique_ptr<PeerTransport> transport;
};

class LoopbackCluster {
 public:
  LoopbackCluster(asio::io_context& io, TransportOptions options = test_options())
      : io_(io), options_(std::move(options)) {}

  // Starts node `id` (port 0 picks a free one) and introduces it to every running node.
  LoopbackNode& start(raft::NodeId id, uint16_t port = 0);
  // Destroys node `id`'s transport; its port and received messages are kept.
  void stop(raft::NodeId id);
  LoopbackNode& node(raft::NodeId id) { return *nodes_.at(id); }
  // Points `id`'s transport at a peer that is not (yet) running.
  void add_address(raft::NodeId id, raft::NodeId peer, uint16_t port);

 private:
  asio::io_context& io_;
  TransportOptions options_;
  std::map<raft::NodeId, std::unique_ptr<LoopbackNode>> nodes_;
};

}  // namespace raftkv::net::testing
