#include "sim/membership_driver.h"

#include <algorithm>

namespace raftkv::sim {

namespace {

std::string list(const std::set<raft::NodeId>& ids) {
  std::string out = "{";
  for (raft::NodeId id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

std::string list(const std::vector<raft::NodeId>& ids) {
  return list(std::set<raft::NodeId>(ids.begin(), ids.end()));
}

bool retryable(raft::ProposeError e) {
  return e == raft::ProposeError::kConfChangePending || e == raft::ProposeError::kNotLeader ||
         e == raft::ProposeError::kTransferring;
}

}  // namespace

MembershipDriver::MembershipDriver(const MembershipConfig& config, EventQueue& queue,
                                   std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng,
                                   Hooks hooks)
    : config_(config), queue_(queue), nodes_(nodes), rng_(rng), hooks_(std::move(hooks)) {}

void MembershipDriver::start(Time from, Time until) {
  until_ = until;
  if (!config_.enabled) return;
  queue_.at(from, [this] { schedule_next(0); });
}

void MembershipDriver::schedule_next(Time delay) {
  Time at = queue_.now() + delay;
  if (at >= until_) return;
  queue_.at(at, [this] {
    raft::NodeId leader = hooks_.leader();
    if (leader == raft::kNoNode) {
      schedule_next(config_.retry);  // nobody to ask; look again soon
      return;
    }
    attempt(pick(nodes_[leader - 1]->node()->status().conf), 0);
    schedule_next(rng_.uniform(config_.min_gap, config_.max_gap));
  });
}

// Draws one of the kinds of change that make sense for `conf`.
MembershipDriver::Change MembershipDriver::pick(const raft::ConfState& conf) {
  std::vector<raft::NodeId> voters = conf.voters, learners = conf.learners, outside;
  for (const auto& n : nodes_) {
    raft::NodeId id = n->id();
    if (std::count(voters.begin(), voters.end(), id) == 0 &&
        std::count(learners.begin(), learners.end(), id) == 0) {
      outside.push_back(id);
    }
  }
  // Candidates to become voters: learners first (they have the log), then outsiders.
  std::vector<raft::NodeId> joiners = learners;
  joiners.insert(joiners.end(), outside.begin(), outside.end());
  auto take = [this](std::vector<raft::NodeId> from, size_t k) {
    std::set<raft::NodeId> out;
    while (out.size() < k && !from.empty()) {
      size_t i = rng_.uniform(0, from.size() - 1);
      out.insert(from[i]);
      from.erase(from.begin() + static_cast<long>(i));
    }
    return out;
  };
  size_t majority = voters.size() / 2 + 1;
  enum Kind { kAddLearner, kPromote, kRemove, kReplace, kGrow, kShrink, kTransfer };
  std::vector<Kind> kinds;
  if (!outside.empty()) kinds.push_back(kAddLearner);
  if (!learners.empty()) kinds.push_back(kPromote);
  if (voters.size() > 2 || !learners.empty()) kinds.push_back(kRemove);
  if (joiners.size() >= majority) {
    for (int i = 0; i < config_.replace_majority_weight; ++i) kinds.push_back(kReplace);
  }
  if (joiners.size() >= 2) kinds.push_back(kGrow);
  if (voters.size() >= 4) kinds.push_back(kShrink);
  if (voters.size() >= 2) kinds.push_back(kTransfer);
  Change c;
  if (kinds.empty()) return c;
  switch (kinds[rng_.uniform(0, kinds.size() - 1)]) {
    case kAddLearner:
      c.add_learners = take(outside, 1);
      c.what = "add learner " + list(c.add_learners);
      break;
    case kPromote:
      c.add_voters = take(learners, 1);
      c.what = "promote " + list(c.add_voters);
      break;
    case kRemove: {
      std::vector<raft::NodeId> removable = learners;
      if (voters.size() > 2) removable.insert(removable.end(), voters.begin(), voters.end());
      c.remove = take(removable, 1);
      c.what = "remove " + list(c.remove);
      break;
    }
    case kReplace:
      c.remove = take(voters, majority);
      c.add_voters = take(joiners, majority);
      c.what = "replace " + list(c.remove) + " by " + list(c.add_voters);
      break;
    case kGrow:
      c.add_voters = take(joiners, 2);
      c.what = "grow by " + list(c.add_voters);
      break;
    case kShrink:
      c.remove = take(voters, 2);
      c.what = "shrink by " + list(c.remove);
      break;
    case kTransfer:
      c.transfer_to = *take(voters, 1).begin();
      c.what = "transfer leadership to n" + std::to_string(c.transfer_to);
      break;
  }
  return c;
}

void MembershipDriver::attempt(Change change, int attempts) {
  if (change.what.empty()) return;
  raft::NodeId leader = hooks_.leader();
  std::optional<raft::ProposeError> error = raft::ProposeError::kNotLeader;
  std::string detail;
  if (leader != raft::kNoNode) {
    SimNode& node = *nodes_[leader - 1];
    raft::ConfState conf = node.node()->status().conf;
    if (change.transfer_to != raft::kNoNode) {
      if (leader == change.transfer_to) return;  // already there
      error = node.transfer_leadership(change.transfer_to);
    } else {
      std::set<raft::NodeId> voters(conf.voters.begin(), conf.voters.end());
      std::set<raft::NodeId> learners(conf.learners.begin(), conf.learners.end());
      for (raft::NodeId id : change.remove) {
        voters.erase(id);
        learners.erase(id);
      }
      for (raft::NodeId id : change.add_voters) {
        voters.insert(id);
        learners.erase(id);
      }
      for (raft::NodeId id : change.add_learners) {
        if (!voters.count(id)) learners.insert(id);
      }
      raft::ConfState target{
          {voters.begin(), voters.end()}, {}, {learners.begin(), learners.end()}};
      if (target.voters.empty()) return;
      std::set<raft::NodeId> cur_voters(conf.voters.begin(), conf.voters.end());
      std::set<raft::NodeId> cur_learners(conf.learners.begin(), conf.learners.end());
      if (voters == cur_voters && learners == cur_learners && !conf.joint()) {
        return;  // already in effect
      }
      error = node.propose_conf_change(target, change.what);
      detail = ": voters " + list(target.voters) + " learners " + list(target.learners);
    }
  }
  std::string who = leader == raft::kNoNode ? "no leader" : "n" + std::to_string(leader);
  if (!error) {
    ++proposed_;
    note("membership: " + who + " takes " + change.what + detail);
    return;
  }
  if (retryable(*error) && attempts + 1 < config_.max_attempts && queue_.now() < until_) {
    queue_.after(config_.retry,
                 [this, change = std::move(change), attempts] { attempt(change, attempts + 1); });
    return;
  }
  note("membership: " + change.what + " abandoned at " + who + ": " + raft::to_string(*error));
}

}  // namespace raftkv::sim
