#include "raft/tracker.h"

#include <algorithm>
#include <set>

namespace raftkv::raft {

void ProgressTracker::set_conf(const ConfState& conf, Index next_index) {
  conf_ = conf;
  std::set<NodeId> ids(conf.voters.begin(), conf.voters.end());
  ids.insert(conf.voters_outgoing.begin(), conf.voters_outgoing.end());
  std::set<NodeId> learners(conf.learners.begin(), conf.learners.end());
  ids.insert(learners.begin(), learners.end());
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = ids.count(it->first) ? std::next(it) : progress_.erase(it);
  }
  for (NodeId id : ids) {
    auto [it, inserted] = progress_.try_emplace(id, max_inflight_);
    if (inserted) it->second.next = next_index;
    it->second.is_learner = learners.count(id) && !is_voter(id);
  }
}

bool ProgressTracker::is_voter(NodeId id) const {
  auto has = [id](const std::vector<NodeId>& v) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  return has(conf_.voters) || has(conf_.voters_outgoing);
}

std::vector<NodeId> ProgressTracker::members() const {
  std::vector<NodeId> out;
  for (const auto& [id, _] : progress_) out.push_back(id);
  return out;
}

Progress* ProgressTracker::progress(NodeId id) {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

const Progress* ProgressTracker::progress(NodeId id) const {
  auto it = progress_.find(id);
  return it == progress_.end() ? nullptr : &it->second;
}

Index ProgressTracker::committed() const {
  return joint_committed(conf_, [this](NodeId id) -> Index {
    auto* pr = progress(id);
    return pr ? pr->match : 0;
  });
}

VoteResult ProgressTracker::tally_votes() const {
  return joint_vote(conf_, [this](NodeId id) -> std::optional<bool> {
    auto it = votes_.find(id);
    if (it == votes_.end()) return std::nullopt;
    return it->second;
  });
}

bool ProgressTracker::quorum_active(NodeId self) const {
  return joint_vote(conf_, [&](NodeId id) -> std::optional<bool> {
           if (id == self) return true;
           auto* pr = progress(id);
           return pr && pr->recent_active;
         }) == VoteResult::kWon;
}

bool ProgressTracker::read_confirmed(NodeId self, uint64_t seq) const {
  return joint_vote(conf_, [&](NodeId id) -> std::optional<bool> {
           if (id == self) return true;
           auto* pr = progress(id);
           return pr && pr->read_seq_acked >= seq;
         }) == VoteResult::kWon;
}

}  // namespace raftkv::raft
