#include "raft/quorum.h"

#include <algorithm>
#include <limits>

namespace raftkv::raft {

Index majority_committed(const std::vector<NodeId>& voters,
                         const std::function<Index(NodeId)>& acked) {
  if (voters.empty()) return std::numeric_limits<Index>::max();
  std::vector<Index> idx;
  idx.reserve(voters.size());
  for (NodeId id : voters) idx.push_back(acked(id));
  std::sort(idx.begin(), idx.end(), std::greater<>());
  // With n voters, a majority is n/2+1: the (n/2+1)-th largest index is on a majority.
  return idx[voters.size() / 2];
}

VoteResult majority_vote(const std::vector<NodeId>& voters,
                         const std::function<std::optional<bool>(NodeId)>& vote) {
  if (voters.empty()) return VoteResult::kWon;
  size_t yes = 0, no = 0;
  for (NodeId id : voters) {
    auto v = vote(id);
    if (!v) continue;
    (*v ? yes : no)++;
  }
  size_t q = voters.size() / 2 + 1;
  if (yes >= q) return VoteResult::kWon;
  if (voters.size() - no < q) return VoteResult::kLost;
  return VoteResult::kPending;
}

Index joint_committed(const ConfState& conf, const std::function<Index(NodeId)>& acked) {
  Index a = majority_committed(conf.voters, acked);
  Index b = majority_committed(conf.voters_outgoing, acked);
  return std::min(a, b);
}

VoteResult joint_vote(const ConfState& conf,
                      const std::function<std::optional<bool>(NodeId)>& vote) {
  VoteResult a = majority_vote(conf.voters, vote);
  VoteResult b = majority_vote(conf.voters_outgoing, vote);
  if (a == b) return a;
  if (a == VoteResult::kLost || b == VoteResult::kLost) return VoteResult::kLost;
  return VoteResult::kPending;
}

}  // namespace raftkv::raft
