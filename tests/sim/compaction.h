// Log compaction in the simulator, and the fault that makes it matter. Each node snapshots
// its state machine and compacts its disk every few applied entries (the count drawn per
// node from the seed), and LaggingFollowers keeps cutting a follower off for long stretches
// (crashed, isolated or paused) while the others compact past its log, so that it can only
// catch up through InstallSnapshot.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/sim_node.h"

namespace raftkv::sim {

struct CompactionConfig {
  bool enabled = false;
  // A node compacts once it applied this many entries since its last snapshot; drawn per
  // node from [min_interval, max_interval], so nodes compact at different indexes.
  uint64_t min_interval = 4;
  uint64_t max_interval = 16;
  // Lagging followers: every [min_gap, max_gap] a follower is crashed, isolated or paused
  // for [min_lag, max_lag] (an isolation lasts as long as the fault mix's partitions).
  bool lagging_followers = true;
  Time min_gap = 10 * kTick;
  Time max_gap = 40 * kTick;
  Time min_lag = 10 * kTick;
  Time max_lag = 50 * kTick;
};

class LaggingFollowers {
 public:
  struct Hooks {
    std::function<void(std::string)> note;
    std::function<raft::NodeId()> leader;  // kNoNode if none is known
    // Cuts `id` off from every other node for a while (the fault injector's isolation).
    std::function<void(raft::NodeId, std::string)> isolate;
  };

  LaggingFollowers(const CompactionConfig& config, EventQueue& queue,
                   std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng, bool forget_vote,
                   Hooks hooks);

  // Schedules lagging followers from `from` until `until` (when the faults heal).
  void start(Time from, Time until);
  uint64_t injected() const { return injected_; }

 private:
  void schedule_next();
  void lag();
  void note(std::string text) { hooks_.note(std::move(text)); }

  CompactionConfig config_;
  EventQueue& queue_;
  std::vector<std::unique_ptr<SimNode>>& nodes_;
  Rng rng_;
  bool forget_vote_;
  Hooks hooks_;
  Time until_ = 0;
  uint64_t injected_ = 0;
};

}  // namespace raftkv::sim
