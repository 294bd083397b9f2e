#include "sim/compaction.h"

namespace raftkv::sim {

LaggingFollowers::LaggingFollowers(const CompactionConfig& config, EventQueue& queue,
                                   std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng,
                                   bool forget_vote, Hooks hooks)
    : config_(config),
      queue_(queue),
      nodes_(nodes),
      rng_(rng),
      forget_vote_(forget_vote),
      hooks_(std::move(hooks)) {}

void LaggingFollowers::start(Time from, Time until) {
  until_ = until;
  if (!config_.enabled || !config_.lagging_followers) return;
  queue_.at(from, [this] { schedule_next(); });
}

void LaggingFollowers::schedule_next() {
  Time at = queue_.now() + rng_.uniform(config_.min_gap, config_.max_gap);
  if (at >= until_) return;
  queue_.at(at, [this] {
    lag();
    schedule_next();
  });
}

void LaggingFollowers::lag() {
  // A running follower: the leader keeps going, and the others keep compacting.
  std::vector<raft::NodeId> followers;
  raft::NodeId leader = hooks_.leader();
  for (const auto& n : nodes_) {
    if (n->live() && n->id() != leader) followers.push_back(n->id());
  }
  if (followers.empty()) return;
  raft::NodeId id = followers[rng_.uniform(0, followers.size() - 1)];
  SimNode& node = *nodes_[id - 1];
  Time lag = rng_.uniform(config_.min_lag, config_.max_lag);
  uint64_t incarnation = node.incarnation();
  ++injected_;
  switch (rng_.uniform(0, 2)) {
    case 0:
      note("fault: lagging follower: crash n" + std::to_string(id));
      node.crash();
      // Restarted here, or already by the healing at the end of the fault phase.
      queue_.after(lag, [this, id, incarnation] {
        SimNode& n = *nodes_[id - 1];
        if (n.up() || n.incarnation() != incarnation + 1) return;
        note("restart lagging n" + std::to_string(id));
        n.restart(forget_vote_);
      });
      break;
    case 1:
      hooks_.isolate(id, "(lagging follower)");
      break;
    default:
      note("fault: lagging follower: pause n" + std::to_string(id));
      node.pause();
      queue_.after(lag, [this, id, incarnation] {
        SimNode& n = *nodes_[id - 1];
        if (n.incarnation() != incarnation || !n.paused()) return;
        note("resume lagging n" + std::to_string(id));
        n.resume();
      });
      break;
  }
}

}  // namespace raftkv::sim
