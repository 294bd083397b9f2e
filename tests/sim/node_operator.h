// The operator of the whole-node membership mix: every so often it asks the node it
// believes leads for RAFT MEMBERS, then sends it one change — RAFT ADD-LEARNER, PROMOTE,
// REMOVE, SET-VOTERS or TRANSFER — through the node's request path, as `raftkv` admin
// commands would. It follows -MOVED, treats any other error (or no answer) as not done,
// and keeps at least three voters. A removed node is added again only once its removal
// is committed, and then as an operator would: wiped and started as a joining node.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kv/argv.h"
#include "raft/types.h"
#include "sim/event_queue.h"
#include "sim/rng.h"

namespace raftkv::sim {

struct NodeOperatorConfig {
  Time min_gap = 10 * kTick;  // between two changes
  Time max_gap = 40 * kTick;
  Time timeout = 120 * kTick;  // an unanswered command is given up (the connection dropped)
  size_t min_voters = 3;
};

class NodeOperator {
 public:
  struct Hooks {
    std::function<uint64_t()> new_connection;
    std::function<void(raft::NodeId node, uint64_t conn, uint64_t op, kv::Argv argv)> send;
    // Whether a committed configuration no longer names `id` (the operator's wait for its
    // removal to complete), and the wipe-and-join of such a node.
    std::function<bool(raft::NodeId id)> removal_committed;
    std::function<void(raft::NodeId id)> rejoin;
    std::function<void(std::string)> note;
  };

  NodeOperator(NodeOperatorConfig config, EventQueue& queue, Rng rng, int pool, int founders,
               Hooks hooks);

  void start(Time from, Time until);
  bool owns(uint64_t conn) const { return conn == conn_; }
  void on_reply(uint64_t op, const std::string& reply);
  uint64_t changes_done() const { return done_; }
  uint64_t changes_sent() const { return sent_; }

 private:
  // A configuration as RAFT MEMBERS shows it.
  struct View {
    raft::NodeId leader = raft::kNoNode;
    std::vector<raft::NodeId> voters, learners;
    bool joint = false;
  };
  static std::optional<View> parse_members(const std::string& reply);
  void cycle();
  void schedule(Time delay);
  void send(kv::Argv argv);
  void on_members(const std::string& reply);
  void on_change(const std::string& reply);
  // A change that makes sense for `view`, or empty.
  kv::Argv pick(const View& view);
  void note(const std::string& text) { hooks_.note("operator: " + text); }

  NodeOperatorConfig config_;
  EventQueue& queue_;
  Rng rng_;
  int pool_;
  Hooks hooks_;
  Time until_ = 0;
  raft::NodeId target_ = 1;  // the node believed to lead
  uint64_t conn_ = 0;
  uint64_t next_op_ = 0;
  uint64_t waiting_op_ = 0;  // 0: nothing in flight
  bool waiting_members_ = false;
  std::set<raft::NodeId> ever_member_;  // a node named by a configuration since its last wipe
  uint64_t done_ = 0, sent_ = 0;
};

}  // namespace raftkv::sim
