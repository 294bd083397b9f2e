// A few of the shipped nodes (ServerNode) on a network that a test cuts and heals by hand,
// for scripted scenarios that do not depend on the simulator's random draws: `founders`
// voters started as `--initial-cluster` does, and `spares` more started as `--join` does
// (no configuration, every node's peer address), which RAFT commands can add. As in the
// server, a node sends only to the peers its membership service dials.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/server_node.h"

namespace raftkv::sim {

class ScriptedCluster {
 public:
  static constexpr Time kMs = 10;  // simulated time units (100 us) per ms

  explicit ScriptedCluster(int founders, int spares = 0) {
    raft::ConfState conf;
    std::map<raft::NodeId, net::PeerAddress> founding, everyone;
    for (int i = 1; i <= founders + spares; ++i) {
      const auto id = static_cast<raft::NodeId>(i);
      everyone[id] = sim_peer_address(id);
      if (i > founders) continue;
      conf.voters.push_back(id);
      founding[id] = sim_peer_address(id);
    }
    for (int i = 1; i <= founders + spares; ++i) {
      const auto id = static_cast<raft::NodeId>(i);
      ServerNode::Env env;
      env.send = [this](raft::Message m) { send(std::move(m)); };
      env.applied = [](raft::NodeId, const raft::Entry&, const kv::StateMachine&) {};
      env.reply = [this](uint64_t conn, uint64_t, std::string reply) {
        replies_[conn].push_back(std::move(reply));
      };
      ServerNodeConfig config;
      config.initial_peers = i <= founders ? founding : everyone;
      nodes_.push_back(std::make_unique<ServerNode>(id, i <= founders ? conf : raft::ConfState{},
                                                    queue_, Rng(40 + id), config, std::move(env)));
    }
  }

  void run_for(Time t) {
    const Time until = queue_.now() + t;
    while (queue_.run_next(until)) {
    }
    queue_.advance_to(until);
  }
  // Cuts every message to and from `id` (those in flight too), or heals it.
  void isolate(raft::NodeId id) { cut_.insert(id); }
  void heal() { cut_.clear(); }

  ServerNode& node(raft::NodeId id) { return *nodes_[id - 1]; }
  Time now() const { return queue_.now(); }
  raft::NodeId leader() const {
    for (const auto& n : nodes_) {
      if (n->live() && n->driver()->is_leader() && !cut_.contains(n->id())) return n->id();
    }
    return raft::kNoNode;
  }
  // Runs until `id` leads (handing leadership to it if another node does); false if it
  // does not within ten seconds.
  bool make_leader(raft::NodeId id) {
    for (int i = 0; i < 100 && leader() != id; ++i) {
      if (raft::NodeId l = leader(); l != raft::kNoNode) {
        send(l, kOperator, {"RAFT", "TRANSFER", std::to_string(id)});
      }
      run_for(100 * kMs);
    }
    return leader() == id;
  }

  void send(raft::NodeId node, uint64_t conn, kv::Argv argv) {
    nodes_[node - 1]->request(conn, ++op_, std::move(argv));
  }
  // Sends and runs until it is answered (at most two seconds); its reply.
  std::string call(raft::NodeId node, uint64_t conn, kv::Argv argv) {
    const size_t before = replies_[conn].size();
    send(node, conn, std::move(argv));
    for (int i = 0; i < 2000 && replies_[conn].size() == before; ++i) run_for(kMs);
    return replies_[conn].size() == before ? "(none)" : replies_[conn].back();
  }
  const std::vector<std::string>& replies(uint64_t conn) { return replies_[conn]; }
  raft::Index last_index(raft::NodeId id) const {
    return nodes_[id - 1]->driver()->status().last_index;
  }
  raft::Index applied(raft::NodeId id) const { return nodes_[id - 1]->driver()->applied_index(); }

 private:
  static constexpr uint64_t kOperator = 1000;

  void send(raft::Message m) {
    queue_.after(kMs, [this, m] {
      if (cut_.contains(m.from) || cut_.contains(m.to)) return;
      nodes_[m.to - 1]->deliver(m);
    });
  }

  EventQueue queue_;
  std::vector<std::unique_ptr<ServerNode>> nodes_;
  std::set<raft::NodeId> cut_;
  std::map<uint64_t, std::vector<std::string>> replies_;
  uint64_t op_ = 0;
};

}  // namespace raftkv::sim
