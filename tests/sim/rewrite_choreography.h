// A scripted fault aimed at one hazard: an index of a follower's log rewritten twice, A ->
// B -> A, while the follower's batch that carried A's first copy waits to be advanced.
//
// The core marks a batch persisted by its last (index, term) only while the log's accepted
// term (the term of the leader whose entries last changed it) is the one the batch was
// taken under. Without that guard the stale batch's advance takes A's re-appended entry as
// persisted while the disk holds B's, and the follower applies B's uncommitted entry. Random
// faults never line this up (over 100,000 seeds tried), so this nemesis plays it out on
// five or more voters, with partitions and one follower's slow disk only:
//
//   1. leader A (term t) and follower C are cut off from the rest; C's driver from now on
//      acknowledges batches after their fsync but advances none (hold_advances); A is handed
//      a write, which only C receives: (n, t);
//   2. A and C are cut off from everyone; B, D, E elect a leader X; X is cut off from the
//      other two at once and joined to C, where its no-op (n, t') replaces (n, t) and is
//      written;
//   3. X is cut off; C's disk stops completing writes; A joins the other two, which elect
//      it (its (n, t) is newer than their logs) and it commits its no-op (n+1, t'');
//   4. A is joined to C: a probe, a rejection, and A's (n, t), (n+1, t'') with the commit
//      index n+1 are appended in C's memory; C's held batches are then advanced (the first
//      is the one that carried (n, t)) while the new batch is still on its way to disk.
//
// Then the disk completes, the partitions heal, and the run goes on as usual. Each phase
// that does not complete in time ends the attempt (healed, released) and another follows.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "raft/types.h"
#include "sim/event_queue.h"
#include "sim/kv_command.h"
#include "sim/network.h"
#include "sim/rng.h"
#include "sim/sim_node.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

class RewriteChoreography {
 public:
  struct Hooks {
    std::function<void(std::string)> note;
    std::function<raft::NodeId()> leader;
    // Hands node `id` a write that no client waits for (its reply goes nowhere).
    std::function<void(raft::NodeId id, KvCommand command)> propose;
  };

  RewriteChoreography(EventQueue& queue, Network& network,
                      std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng, Hooks hooks);

  // Attempts, one after another, from `from` until `until`.
  void start(Time from, Time until);
  // After every event: moves the attempt in progress on when its phase is done.
  void observe();
  // Ends the attempt in progress (the faults heal).
  void stop();
  uint64_t attempts() const { return attempts_; }
  uint64_t staged() const { return staged_; }  // attempts that reached step 4

 private:
  enum class Phase { kIdle, kToFollower, kElectOther, kOtherToFollower, kElectFirst, kRewrite };

  void begin();
  void next_phase(Phase phase);
  bool all_live() const;
  const SimNode& node(raft::NodeId id) const { return *nodes_[id - 1]; }
  SimNode& node(raft::NodeId id) { return *nodes_[id - 1]; }
  // Term of entry `index` in node `id`'s log (memory), 0 if none.
  raft::Term log_term(raft::NodeId id, raft::Index index) const;
  // The same on its disk.
  raft::Term disk_term(raft::NodeId id, raft::Index index) const;
  bool leads(raft::NodeId id, raft::Term above) const;
  void isolate(raft::NodeId id);
  void end_attempt(const std::string& why);
  void schedule_begin(Time delay);

  void on_follower_has_first_copy();
  void on_other_elected(raft::NodeId x);
  void on_follower_has_second_copy();
  void on_first_reelected();
  void on_rewritten();

  EventQueue& queue_;
  Network& network_;
  std::vector<std::unique_ptr<SimNode>>& nodes_;
  Rng rng_;
  Hooks hooks_;
  Time until_ = 0;
  Phase phase_ = Phase::kIdle;
  Time deadline_ = 0;
  uint64_t attempts_ = 0, staged_ = 0;
  raft::NodeId a_ = raft::kNoNode, c_ = raft::kNoNode, x_ = raft::kNoNode;
  std::vector<raft::NodeId> rest_;  // the voters other than A and C
  raft::Index n_ = 0;               // the index rewritten
  raft::Term t_ = 0, t2_ = 0;       // A's term at step 1, X's at step 2
  uint64_t seq_ = 0;
};

}  // namespace raftkv::sim
