// Draws the run's faults from the seed: partitions of every shape (isolated leader,
// majority/minority split, the bridge, one-way cuts, random link cuts), crashes with later
// restarts, and pauses. Each fault is undone after a random duration, and heal_all() ends
// them all at once before the liveness phase.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/network.h"
#include "sim/rng.h"
#include "sim/sim_node.h"

namespace raftkv::sim {

struct FaultConfig;

class FaultInjector {
 public:
  struct Hooks {
    std::function<void(std::string)> note;
    // The current leader (kNoNode if none is known); faults like to aim at it.
    std::function<raft::NodeId()> leader;
    // Called just before a leader is crashed (election timing starts there).
    std::function<void(raft::NodeId)> leader_crashing;
  };

  FaultInjector(const FaultConfig& config, EventQueue& queue, Network& network,
                std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng, bool forget_vote,
                Hooks hooks);

  // Schedules faults from `from` until `until`.
  void start(Time from, Time until);
  void heal_all();
  // Crashes `id` after `delay` (if the fault phase is still on), restarting it later.
  void crash_soon(raft::NodeId id, Time delay, std::string why);
  // Isolates `id` from every other node after `delay`, for a random duration.
  void isolate_soon(raft::NodeId id, Time delay, std::string why);
  // The disk of `id` failed a write: crash it now and restart it later, also once the
  // faults have healed (it must be back for the liveness phase).
  void disk_failed(raft::NodeId id);
  uint64_t injected() const { return injected_; }

 private:
  void schedule_next();
  void inject();
  void partition();
  void isolate(raft::NodeId id, std::string why);
  void heal_later(uint64_t partition_id);
  void crash(raft::NodeId id);
  void restart(raft::NodeId id);
  void pause(raft::NodeId id);
  void disk_fault(raft::NodeId id);
  raft::NodeId pick_target();
  std::vector<raft::NodeId> shuffled_ids();
  Time duration() { return rng_.uniform(kTick, max_duration_); }
  void note(std::string text) { hooks_.note(std::move(text)); }

  EventQueue& queue_;
  Network& network_;
  std::vector<std::unique_ptr<SimNode>>& nodes_;
  Rng rng_;
  bool partitions_, crashes_, pauses_, disk_faults_;
  Time min_gap_, max_gap_, max_duration_, min_down_, max_down_;
  double target_leader_;
  bool forget_vote_;
  Hooks hooks_;
  Time until_ = 0;
  bool healed_ = false;
  uint64_t partition_id_ = 0;  // the partition in force; its heal event checks it
  uint64_t injected_ = 0;
  std::map<raft::NodeId, uint64_t> disk_fault_id_;  // the disk fault in force, per node
};

}  // namespace raftkv::sim
