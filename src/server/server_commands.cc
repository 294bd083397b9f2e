// The Redis-facing half of the server: routing each command (local, read, write, or the
// server's own INFO and CLUSTER), redirects, and the error texts for every outcome.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

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
#include "server/server.h"

namespace raftkv::server {

namespace {

constexpr const char* kVersion = raft::kVersionString;  // project(VERSION), version.h

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

void Server::handle_server_command(const kv::Argv& argv, const kv::CommandSpec& spec,
                                   ReplySlot& slot) {
  switch (spec.id) {
    case kv::CommandId::kQuit:
      slot.complete(kv::encode_simple("OK"));
      return;
    case kv::CommandId::kInfo:
      slot.complete(kv::encode_bulk(info(argv.size() > 1 ? lower(argv[1]) : "default")));
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

std::string Server::client_list() const {
  const auto now = std::chrono::steady_clock::now();
  const auto seconds = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  };
  std::string out;
  for (const auto& [id, conn] : clients_) {
    const size_t sub = pubsub_.channel_count(id), psub = pubsub_.pattern_count(id);
    out += fmt::format(
        "id={} addr={} name={} age={} idle={} flags={} db=0 sub={} psub={} cmd={} resp={}\n", id,
        conn->peer(), conn->state().name, seconds(conn->connected_at()),
        seconds(conn->last_command_at()), sub + psub != 0 ? "P" : "N", sub, psub,
        lower(conn->last_command()), conn->state().protocol);
  }
  return out;
}

std::string Server::info(const std::string& section) const {
  bool all = section == "default" || section == "all" || section == "everything";
  std::string out;
  auto add = [&out](const std::string& key, const auto& value) {
    out += key;
    out += ':';
    if constexpr (std::is_arithmetic_v<std::decay_t<decltype(value)>>) {
      out += std::to_string(value);
    } else {
      out += value;
    }
    out += "\r\n";
  };
  raft::Status st = driver_->status();
  if (all || section == "server") {
    out += "# Server\r\n";
    add("redis_version", std::string(kv::kRedisVersion));
    add("raftkv_version", std::string(kVersion));
    add("redis_mode", std::string("cluster"));
    add("process_id", static_cast<int64_t>(::getpid()));
    add("tcp_port", static_cast<int64_t>(options_.listen_client.port));
    add("uptime_in_seconds", static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                                      std::chrono::steady_clock::now() - started_)
                                                      .count()));
    out += "\r\n";
  }
  if (all || section == "clients") {
    out += "# Clients\r\n";
    add("connected_clients", stats_.connected_clients);
    add("blocked_clients", stats_.blocked_clients);
    out += "\r\n";
  }
  if (all || section == "memory") {
    // Heap bytes the allocator has handed out (Redis's used_memory), and the resident set.
    // Under an allocator that reports nothing (a sanitizer's, say) both are the resident set.
    out += "# Memory\r\n";
    const uint64_t rss = resident_bytes();
    uint64_t used = heap_used_bytes();
    if (used == 0) used = rss;
    add("used_memory", used);
    add("used_memory_human", fmt::format("{:.2f}M", static_cast<double>(used) / (1024.0 * 1024.0)));
    add("used_memory_rss", rss);
    add("mem_allocator", std::string(allocator_name()));
    out += "\r\n";
  }
  if (all || section == "stats") {
    out += "# Stats\r\n";
    add("total_connections_received", stats_.total_connections);
    add("rejected_connections", stats_.rejected_connections);  // maxclients, protected mode
    add("total_commands_processed", stats_.total_commands);
    add("writes_ok", stats_.writes_ok);
    add("reads_ok", stats_.reads_ok);
    add("redirects", stats_.redirects);
    add("errors", stats_.errors);
    add("total_error_replies", stats_.error_counts.total());
    add("unknown_outcomes", stats_.unknown_outcomes);
    add("pending_writes", driver_->pending_writes());
    add("pending_reads", driver_->pending_reads());
    add("pubsub_channels", pubsub_.channels());  // this node's subscriptions
    add("pubsub_patterns", pubsub_.patterns());
    out += "\r\n";
  }
  if (all || section == "raft") {
    out += "# Raft\r\n";
    add("raft_node_id", st.id);
    add("raft_role", std::string(raft::to_string(st.role)));
    add("raft_term", st.term);
    add("raft_leader_id", st.leader);
    add("raft_commit_index", st.commit);
    add("raft_applied_index", st.applied);
    add("raft_last_log_index", st.last_index);
    add("raft_members", join_ids(st.conf.voters));
    add("raft_learners", join_ids(st.conf.learners));
    add("raft_joint", static_cast<int64_t>(st.conf.joint()));
    add("raft_storage_failed", static_cast<int64_t>(driver_->failed()));
    // Ready batches that needed the disk, and the writes (at most one fdatasync each) that
    // carried them: entries per write is the group-commit factor.
    add("raft_log_batches_persisted", driver_->persisted_batches());
    add("raft_log_entries_persisted", driver_->persisted_entries());
    add("raft_log_writes", driver_->disk_saves());
    for (const net::PeerStats& p : transport_->stats().peers) {
      add("raft_peer_" + std::to_string(p.id),
          fmt::format("state={},address={},sent={},received={},dropped={},queued={}",
                      net::to_string(p.state), p.address, p.sent.messages_sent,
                      p.received.messages_received, p.sent.messages_dropped, p.queued_messages));
    }
    out += "\r\n";
  }
  if (all || section == "persistence") out += snapshot_info();
  // As Redis: errorstats is a default section, commandstats and latencystats are not.
  const bool every = section == "all" || section == "everything";
  if (every || section == "commandstats") out += info_commandstats(stats_.commands) + "\r\n";
  if (all || section == "errorstats") out += info_errorstats(stats_.error_counts) + "\r\n";
  if (every || section == "latencystats") out += info_latencystats(stats_.commands) + "\r\n";
  if (all || section == "cluster") {
    // Cluster-mode clients check this before asking CLUSTER SLOTS.
    out += "# Cluster\r\n";
    add("cluster_enabled", static_cast<int64_t>(1));
    out += "\r\n";
  }
  if (all || section == "keyspace") {
    out += "# Keyspace\r\n";
    if (machine_.key_count() > 0) {
      add("db0", "keys=" + std::to_string(machine_.key_count()) +
                     ",expires=" + std::to_string(machine_.expiring_key_count()) + ",avg_ttl=0");
    }
  }
  return out;
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
  auto split = [](const std::string& addr) -> std::pair<std::string, int64_t> {
    auto a = net::parse_peer_address(addr);
    if (!a) return {addr, 0};
    return {a->host, a->port};
  };
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
      auto addr = members_.client_address(id);
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
    auto leader_addr = members_.client_address(leader);
    if (leader == raft::kNoNode || !leader_addr) {
      w.array_header(0);
    } else {
      std::vector<raft::NodeId> known;
      for (raft::NodeId id : order) {
        if (members_.client_address(id)) known.push_back(id);
      }
      w.array_header(1);
      w.array_header(2 + known.size());
      w.integer(0);
      w.integer(16383);
      for (raft::NodeId id : known) {
        auto [host, port] = split(*members_.client_address(id));
        w.array_header(3);
        w.bulk(host);
        w.integer(port);
        w.bulk(cluster_node_id(id));
      }
    }
  } else if (sub == "shards") {
    std::vector<raft::NodeId> known;
    for (raft::NodeId id : order) {
      if (members_.client_address(id)) known.push_back(id);
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
      auto [host, port] = split(*members_.client_address(id));
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
