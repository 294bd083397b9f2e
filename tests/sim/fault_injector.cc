#include "sim/fault_injector.h"

#include <algorithm>

#include "sim/simulator.h"

namespace raftkv::sim {

namespace {

std::string list(const std::vector<raft::NodeId>& ids) {
  std::string out = "{";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

}  // namespace

FaultInjector::FaultInjector(const FaultConfig& config, EventQueue& queue, Network& network,
                             std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng,
                             bool forget_vote, Hooks hooks)
    : queue_(queue),
      network_(network),
      nodes_(nodes),
      rng_(rng),
      partitions_(config.partitions),
      crashes_(config.crashes),
      pauses_(config.pauses),
      disk_faults_(config.disk_faults),
      min_gap_(config.min_gap),
      max_gap_(config.max_gap),
      max_duration_(config.max_duration),
      min_down_(config.min_down),
      max_down_(config.max_down),
      target_leader_(config.target_leader),
      forget_vote_(forget_vote),
      hooks_(std::move(hooks)) {}

void FaultInjector::start(Time from, Time until) {
  until_ = until;
  if (!partitions_ && !crashes_ && !pauses_) return;
  queue_.at(from, [this] { schedule_next(); });
}

void FaultInjector::schedule_next() {
  Time at = queue_.now() + rng_.uniform(min_gap_, max_gap_);
  if (at >= until_) return;
  queue_.at(at, [this] {
    if (healed_) return;
    inject();
    schedule_next();
  });
}

std::vector<raft::NodeId> FaultInjector::shuffled_ids() {
  std::vector<raft::NodeId> ids;
  for (const auto& n : nodes_) ids.push_back(n->id());
  for (size_t i = ids.size(); i > 1; --i) std::swap(ids[i - 1], ids[rng_.uniform(0, i - 1)]);
  return ids;
}

raft::NodeId FaultInjector::pick_target() {
  raft::NodeId leader = hooks_.leader();
  if (leader != raft::kNoNode && rng_.chance(target_leader_)) return leader;
  return rng_.uniform(1, nodes_.size());
}

void FaultInjector::inject() {
  std::vector<int> kinds;
  if (partitions_) kinds.push_back(0);
  if (crashes_) kinds.push_back(1);
  if (pauses_) kinds.push_back(2);
  if (disk_faults_) kinds.push_back(3);
  ++injected_;
  switch (kinds[rng_.uniform(0, kinds.size() - 1)]) {
    case 0:
      partition();
      break;
    case 1:
      crash(pick_target());
      break;
    case 2:
      pause(pick_target());
      break;
    default:
      disk_fault(pick_target());
      break;
  }
}

void FaultInjector::partition() {
  network_.heal();
  std::vector<raft::NodeId> ids = shuffled_ids();
  size_t n = ids.size();
  std::string shape;
  switch (rng_.uniform(0, 4)) {
    case 0: {  // the leader (or anyone) alone
      raft::NodeId x = pick_target();
      std::vector<raft::NodeId> rest;
      for (raft::NodeId id : ids) {
        if (id != x) rest.push_back(id);
      }
      network_.split({x}, rest);
      shape = "isolate n" + std::to_string(x);
      break;
    }
    case 1: {  // a majority and a minority
      size_t minority = rng_.uniform(1, (n - 1) / 2);
      std::vector<raft::NodeId> a(ids.begin(), ids.begin() + static_cast<long>(minority));
      std::vector<raft::NodeId> b(ids.begin() + static_cast<long>(minority), ids.end());
      network_.split(a, b);
      shape = "split " + list(a) + " | " + list(b);
      break;
    }
    case 2: {  // the bridge: ids[0] sees both halves, which cannot see each other
      size_t half = 1 + (n - 1) / 2;
      std::vector<raft::NodeId> a(ids.begin() + 1, ids.begin() + static_cast<long>(half));
      std::vector<raft::NodeId> b(ids.begin() + static_cast<long>(half), ids.end());
      network_.split(a, b);
      shape = "bridge n" + std::to_string(ids[0]) + " between " + list(a) + " and " + list(b);
      break;
    }
    case 3: {  // one-way: a node that can send but not receive, or the reverse
      raft::NodeId x = pick_target();
      bool deaf = rng_.chance(0.5);
      for (raft::NodeId id : ids) {
        if (id == x) continue;
        deaf ? network_.cut(id, x) : network_.cut(x, id);
      }
      shape = std::string(deaf ? "deafen" : "mute") + " n" + std::to_string(x);
      break;
    }
    default: {  // random directed links
      for (raft::NodeId a : ids) {
        for (raft::NodeId b : ids) {
          if (a != b && rng_.chance(0.3)) network_.cut(a, b);
        }
      }
      shape = "random cuts";
      break;
    }
  }
  note("fault: partition " + shape + " (" + network_.describe_cuts() + ")");
  heal_later(++partition_id_);
}

void FaultInjector::heal_later(uint64_t partition_id) {
  queue_.after(duration(), [this, partition_id] {
    if (healed_ || partition_id != partition_id_) return;
    network_.heal();
    note("fault: partition healed");
  });
}

void FaultInjector::isolate_soon(raft::NodeId id, Time delay, std::string why) {
  if (healed_ || queue_.now() >= until_) return;
  queue_.after(delay, [this, id, why = std::move(why)] {
    if (!healed_) isolate(id, why);
  });
}

void FaultInjector::isolate(raft::NodeId id, std::string why) {
  ++injected_;
  network_.heal();
  for (const auto& n : nodes_) {
    if (n->id() != id) network_.cut_both(id, n->id());
  }
  note("fault: partition isolate n" + std::to_string(id) + " " + why);
  heal_later(++partition_id_);
}

void FaultInjector::crash(raft::NodeId id) {
  SimNode& node = *nodes_[id - 1];
  if (!node.up()) return;
  if (node.node()->role() == raft::Role::kLeader) hooks_.leader_crashing(id);
  note("fault: crash n" + std::to_string(id));
  node.crash();
  uint64_t incarnation = node.incarnation();
  queue_.after(rng_.uniform(min_down_, max_down_), [this, id, incarnation] {
    if (!healed_ && nodes_[id - 1]->incarnation() == incarnation) restart(id);
  });
}

void FaultInjector::crash_soon(raft::NodeId id, Time delay, std::string why) {
  if (healed_ || queue_.now() >= until_) return;
  uint64_t incarnation = nodes_[id - 1]->incarnation();
  queue_.after(delay, [this, id, incarnation, why = std::move(why)] {
    if (healed_ || nodes_[id - 1]->incarnation() != incarnation) return;
    ++injected_;
    note("fault: " + why);
    crash(id);
  });
}

void FaultInjector::restart(raft::NodeId id) {
  SimNode& node = *nodes_[id - 1];
  if (node.up()) return;
  note("restart n" + std::to_string(id) + (forget_vote_ ? " (forgetting its vote)" : ""));
  node.restart(forget_vote_);
}

void FaultInjector::disk_fault(raft::NodeId id) {
  std::string what = nodes_[id - 1]->disk().inject_write_fault(rng_);
  if (what.empty()) return;  // this disk cannot fail
  note("fault: disk of n" + std::to_string(id) + ": " + what);
  uint64_t fault = ++disk_fault_id_[id];
  queue_.after(duration(), [this, id, fault] {
    if (healed_ || disk_fault_id_[id] != fault) return;
    nodes_[id - 1]->disk().clear_write_faults();
    note("fault: disk of n" + std::to_string(id) + " repaired");
  });
}

void FaultInjector::disk_failed(raft::NodeId id) {
  SimNode& node = *nodes_[id - 1];
  if (!node.up()) return;
  if (node.node()->role() == raft::Role::kLeader) hooks_.leader_crashing(id);
  node.crash();
  uint64_t incarnation = node.incarnation();
  queue_.after(rng_.uniform(min_down_, max_down_), [this, id, incarnation] {
    if (nodes_[id - 1]->incarnation() == incarnation) restart(id);
  });
}

void FaultInjector::pause(raft::NodeId id) {
  SimNode& node = *nodes_[id - 1];
  if (!node.live()) return;
  note("fault: pause n" + std::to_string(id));
  node.pause();
  uint64_t incarnation = node.incarnation();
  queue_.after(duration(), [this, id, incarnation] {
    SimNode& n = *nodes_[id - 1];
    if (healed_ || n.incarnation() != incarnation || !n.paused()) return;
    note("resume n" + std::to_string(id));
    n.resume();
  });
}

void FaultInjector::heal_all() {
  healed_ = true;
  network_.heal();
  for (auto& node : nodes_) {
    node->disk().clear_write_faults();
    if (!node->up()) restart(node->id());
    if (node->paused()) {
      note("resume n" + std::to_string(node->id()));
      node->resume();
    }
  }
}

}  // namespace raftkv::sim
