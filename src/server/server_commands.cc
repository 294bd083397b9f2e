// The Redis-facing half of the server: routing each command (local, read, write, or the
// server's own INFO and CLUSTER), redirects, and the error texts for every outcome.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <strings.h>
#include <unistd.h>
#include <chrono>
#include <cinttypes>
#include <cstdio>

#include "kv/commands.h"
#include "kv/local_commands.h"
#include "kv/resp3.h"
#include "kv/resp_writer.h"
#include "net/peer_transport.h"
#include "raftkv/raft/version.h"
#include "server/hash_slot.h"
#include "server/heap_stats.h"
#include "server/latency_command.h"
#include "server/server.h"

namespace raftkv::server {

namespace {

// Redis Cluster node ids are 40 hex characters.
std::string cluster_node_id(raft::NodeId id) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "%040" PRIx64, static_cast<uint64_t>(id));
  return buf;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

uint64_t Server::now_ms() const {
  return runtime_.wall_ms();
}

std::string Server::redirect_error(RequestError e, uint16_t key_slot) const {
  return service_->redirect_error(e, key_slot);
}

std::string Server::request_error(RequestError e, uint16_t key_slot) const {
  return service_->request_error(e, key_slot);
}

void Server::handle(kv::Argv argv, kv::ClientState& client, ReplySlot slot) {
  if (!monitors_.empty() && monitor_command(argv, client.id, slot)) return;
  service_->handle(std::move(argv), client, std::move(slot));
}

void Server::handle_raft_command(const kv::Argv& argv, ReplySlot& slot) {
  if (argv.size() == 2 && strcasecmp(argv[1].c_str(), "BACKUP") == 0) {
    if (auto err = driver_->unavailable()) {
      slot.complete(redirect_error(*err));
      return;
    }
    backup(slot);  // server_backup.cc
    return;
  }
  membership_->handle_raft_command(argv, slot);
}

void Server::handle_server_command(const kv::Argv& argv, const kv::CommandSpec& spec,
                                   ReplySlot& slot) {
  switch (spec.id) {
    case kv::CommandId::kQuit:
      slot.complete(kv::encode_simple("OK"));
      // As Redis: the connection closes once this reply (and those before it) is sent, and
      // what the client pipelined after QUIT is not run.
      if (auto conn = std::dynamic_pointer_cast<ClientConnection>(slot.target())) {
        conn->close_after_replies();
      }
      return;
    case kv::CommandId::kInfo:
      slot.complete(kv::encode_bulk(info(std::span<const std::string>(argv).subspan(1))));
      return;
    case kv::CommandId::kCluster:
      slot.complete(cluster_reply(argv));
      return;
    case kv::CommandId::kBgsave: {
      // Like Redis: start a snapshot of this node now (the log is compacted once it is
      // written); INFO persistence tells when it is done.
      std::string err = start_snapshot();
      slot.complete(err.empty() ? kv::encode_simple("Background saving started")
                                : kv::encode_error("ERR " + err));
      return;
    }
    case kv::CommandId::kRaft:
      handle_raft_command(argv, slot);
      return;
    case kv::CommandId::kSlowlog:
      slot.complete(stats_.slowlog.command(argv));
      return;
    case kv::CommandId::kMonitor:
      start_monitor(slot);
      return;
    case kv::CommandId::kRole:
      slot.complete(role_reply());
      return;
    case kv::CommandId::kLastsave:
      slot.complete(kv::encode_integer(last_save_unix()));
      return;
    case kv::CommandId::kLatency:
      slot.complete(latency_command(argv, stats_.commands));
      return;
    case kv::CommandId::kSave:
      save(std::move(slot));
      return;
    case kv::CommandId::kShutdown:
      shutdown_command(argv, slot);
      return;
    case kv::CommandId::kTime: {
      // This node's clock (the kv layer has none): [seconds, microseconds], as in Redis.
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
      std::string out;
      kv::RespWriter w(&out);
      w.array_header(2);
      w.bulk(std::to_string(us / 1'000'000));
      w.bulk(std::to_string(us % 1'000'000));
      slot.complete(std::move(out));
      return;
    }
    default:
      slot.complete(kv::encode_error("ERR unsupported command"));
      return;
  }
}

std::string Server::cluster_reply(const kv::Argv& argv) const {
  std::string sub = argv.size() > 1 ? lower(argv[1]) : "";
  raft::Status st = driver_->status();
  raft::NodeId leader = st.leader;
  // Members in the order: leader first, then the others.
  std::vector<raft::NodeId> order;
  if (leader != raft::kNoNode) order.push_back(leader);
  for (raft::NodeId id : st.conf.voters) {
    if (id != leader) order.push_back(id);
  }
  std::string out;
  kv::RespWriter w(&out);
  if (sub == "info") {
    std::string text;
    text += std::string("cluster_state:") + (leader != raft::kNoNode ? "ok" : "fail") + "\r\n";
    text += "cluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\n";
    text += "cluster_slots_pfail:0\r\ncluster_slots_fail:0\r\n";
    text += "cluster_known_nodes:" + std::to_string(st.conf.voters.size()) + "\r\n";
    text += "cluster_size:1\r\n";
    text += "cluster_current_epoch:" + std::to_string(st.term) + "\r\n";
    text += "cluster_my_epoch:" + std::to_string(st.term) + "\r\n";
    w.bulk(text);
  } else if (sub == "myid") {
    w.bulk(cluster_node_id(st.id));
  } else if (sub == "nodes") {
    std::string text;
    for (raft::NodeId id : order) {
      auto addr = members().client_address(id);
      if (!addr) continue;
      auto peer = options_.initial_cluster.find(id);
      int peer_port = peer == options_.initial_cluster.end() ? 0 : peer->second.port;
      std::string flags = id == st.id ? "myself," : "";
      flags += id == leader ? "master" : "slave";
      text += cluster_node_id(id) + " " + *addr + "@" + std::to_string(peer_port) + " " + flags +
              " " + (id == leader ? "-" : cluster_node_id(leader)) + " 0 0 " +
              std::to_string(st.term) + " connected" + (id == leader ? " 0-16383" : "") + "\n";
    }
    w.bulk(text);
  } else if (sub == "slots") {
    auto leader_addr = members().client_address(leader);
    if (leader == raft::kNoNode || !leader_addr) {
      w.array_header(0);
    } else {
      std::vector<raft::NodeId> known;
      for (raft::NodeId id : order) {
        if (members().client_address(id)) known.push_back(id);
      }
      w.array_header(1);
      w.array_header(2 + known.size());
      w.integer(0);
      w.integer(16383);
      for (raft::NodeId id : known) {
        auto [host, port] = host_and_port(*members().client_address(id));
        w.array_header(3);
        w.bulk(host);
        w.integer(port);
        w.bulk(cluster_node_id(id));
      }
    }
  } else if (sub == "shards") {
    std::vector<raft::NodeId> known;
    for (raft::NodeId id : order) {
      if (members().client_address(id)) known.push_back(id);
    }
    w.array_header(1);
    w.array_header(4);
    w.bulk("slots");
    w.array_header(2);
    w.integer(0);
    w.integer(16383);
    w.bulk("nodes");
    w.array_header(known.size());
    for (raft::NodeId id : known) {
      auto [host, port] = host_and_port(*members().client_address(id));
      w.array_header(14);
      w.bulk("id");
      w.bulk(cluster_node_id(id));
      w.bulk("port");
      w.integer(port);
      w.bulk("ip");
      w.bulk(host);
      w.bulk("endpoint");
      w.bulk(host);
      w.bulk("role");
      w.bulk(id == leader ? "master" : "replica");
      w.bulk("replication-offset");
      w.integer(static_cast<int64_t>(id == st.id ? st.applied : 0));
      w.bulk("health");
      w.bulk("online");
    }
  } else {
    w.error("ERR unknown subcommand '" + (argv.size() > 1 ? argv[1] : std::string()) +
            "'. Try CLUSTER HELP.");
  }
  return out;
}

}  // namespace raftkv::server
