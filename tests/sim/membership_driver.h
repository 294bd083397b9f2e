// Random membership changes during a run, as an operator's tool would make them: add a
// learner, promote it, remove a member, replace several voters at once, grow by two, shrink
// by two, and hand leadership to another voter. Each request goes to the node the simulator
// believes leads and is retried there (or at the next leader) while the answer is
// kConfChangePending, kNotLeader or kTransferring; every decision comes from the seed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/sim_node.h"

namespace raftkv::sim {

struct MembershipConfig {
  bool enabled = false;
  // Nodes beyond SimOptions::nodes, started with an empty configuration: the pool that
  // additions draw from (3 voters + 2 spares can grow to 5).
  int spare_nodes = 2;
  Time min_gap = 5 * kTick;  // between two changes
  Time max_gap = 30 * kTick;
  Time retry = kTick;  // after a refusal that may pass
  int max_attempts = 30;
  // Weight of "replace a majority of the voters at once" among the kinds of change (1 is
  // as likely as each other kind): the change that needs the joint phase most.
  int replace_majority_weight = 1;
};

class MembershipDriver {
 public:
  struct Hooks {
    std::function<void(std::string)> note;
    std::function<raft::NodeId()> leader;  // kNoNode if none is known
  };

  MembershipDriver(const MembershipConfig& config, EventQueue& queue,
                   std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng, Hooks hooks);

  // Schedules changes from `from` until `until`.
  void start(Time from, Time until);
  uint64_t proposed() const { return proposed_; }

 private:
  // What an operator asked for, re-applied to the configuration in effect at each attempt.
  struct Change {
    std::string what;
    std::set<raft::NodeId> add_voters, add_learners, remove;
    raft::NodeId transfer_to = raft::kNoNode;
  };

  void schedule_next(Time delay);
  Change pick(const raft::ConfState& conf);
  void attempt(Change change, int attempts);
  void note(std::string text) { hooks_.note(std::move(text)); }

  MembershipConfig config_;
  EventQueue& queue_;
  std::vector<std::unique_ptr<SimNode>>& nodes_;
  Rng rng_;
  Hooks hooks_;
  Time until_ = 0;
  uint64_t proposed_ = 0;
};

}  // namespace raftkv::sim
