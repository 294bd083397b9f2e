#include "raft/membership.h"

#include <algorithm>

namespace raftkv::raft::membership {
namespace {

std::vector<NodeId> sorted_unique(std::vector<NodeId> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool contains(const std::vector<NodeId>& sorted, NodeId id) {
  return std::binary_search(sorted.begin(), sorted.end(), id);
}

}  // namespace

Result<ConfState, ProposeError> enter(const ConfState& current, const ConfState& target,
                                      bool skip_joint) {
  std::vector<NodeId> voters = sorted_unique(target.voters);
  std::vector<NodeId> learners = sorted_unique(target.learners);
  std::vector<NodeId> old_voters = sorted_unique(current.voters);
  bool demotion = std::any_of(learners.begin(), learners.end(), [&](NodeId id) {
    return contains(voters, id) || contains(old_voters, id);
  });
  if (voters.empty() || !target.voters_outgoing.empty() || demotion || contains(voters, kNoNode) ||
      contains(learners, kNoNode)) {
    return ProposeError::kInvalidConf;
  }
  ConfState next;
  next.voters = voters;
  next.learners = learners;
  // Learners affect no quorum: only a change of voters needs C(old,new).
  if (voters != old_voters && !skip_joint) next.voters_outgoing = old_voters;
  return next;
}

ConfState leave(const ConfState& joint) {
  return ConfState{joint.voters, {}, joint.learners};
}

}  // namespace raftkv::raft::membership
