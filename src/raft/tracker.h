// The leader's (and candidate's) bookkeeping over the current configuration: one Progress
// per member, the votes of the current election, and the quorum questions over both.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "raft/progress.h"
#include "raft/quorum.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

class ProgressTracker {
 public:
  explicit ProgressTracker(size_t max_inflight = 256) : max_inflight_(max_inflight) {}

  // Installs a configuration; members that remain keep their progress, new ones start at
  // (match 0, next `next_index`).
  void set_conf(const ConfState& conf, Index next_index);
  const ConfState& conf() const { return conf_; }
  bool is_voter(NodeId id) const;
  bool is_member(NodeId id) const { return progress_.count(id) != 0; }
  // Every member (voters of both halves and learners), in id order.
  std::vector<NodeId> members() const;

  Progress* progress(NodeId id);
  const Progress* progress(NodeId id) const;
  std::map<NodeId, Progress>& all() { return progress_; }
  const std::map<NodeId, Progress>& all() const { return progress_; }

  // Largest index replicated on a (joint) majority of voters.
  Index committed() const;

  void reset_votes() { votes_.clear(); }
  void record_vote(NodeId id, bool granted) { votes_.emplace(id, granted); }
  VoteResult tally_votes() const;

  // Have a (joint) majority been heard from recently (the leader counts itself)?
  bool quorum_active(NodeId self) const;
  // Have a (joint) majority acknowledged read-confirmation round `seq` (self included)?
  bool read_confirmed(NodeId self, uint64_t seq) const;

 private:
  size_t max_inflight_;
  ConfState conf_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
};

}  // namespace raftkv::raft
