// Majority and joint-majority arithmetic.
#include <gtest/gtest.h>

#include <map>

#include "raft/quorum.h"

namespace raftkv::raft {
namespace {

TEST(Quorum, MajorityCommittedIsTheMedianFromTheTop) {
  struct Case {
    std::map<NodeId, Index> match;
    Index committed;
  };
  const std::vector<Case> cases = {
      {{{1, 5}}, 5},
      {{{1, 5}, {2, 3}}, 3},
      {{{1, 5}, {2, 3}, {3, 1}}, 3},
      {{{1, 5}, {2, 3}, {3, 1}, {4, 9}}, 3},
      {{{1, 5}, {2, 3}, {3, 1}, {4, 9}, {5, 7}}, 5},
  };
  for (const auto& tc : cases) {
    std::vector<NodeId> voters;
    for (const auto& [id, _] : tc.match) voters.push_back(id);
    EXPECT_EQ(majority_committed(voters, [&](NodeId id) { return tc.match.at(id); }), tc.committed);
  }
}

TEST(Quorum, JointCommittedNeedsBothMajorities) {
  ConfState conf{{1, 2, 3}, {3, 4, 5}, {}};
  std::map<NodeId, Index> match{{1, 9}, {2, 9}, {3, 2}, {4, 2}, {5, 1}};
  EXPECT_EQ(joint_committed(conf, [&](NodeId id) { return match[id]; }), 2u);
}

TEST(Quorum, VoteOutcomes) {
  std::vector<NodeId> voters{1, 2, 3, 4, 5};
  std::map<NodeId, bool> votes{{1, true}, {2, true}};
  auto vote = [&](NodeId id) -> std::optional<bool> {
    auto it = votes.find(id);
    return it == votes.end() ? std::nullopt : std::optional<bool>(it->second);
  };
  EXPECT_EQ(majority_vote(voters, vote), VoteResult::kPending);
  votes[3] = true;
  EXPECT_EQ(majority_vote(voters, vote), VoteResult::kWon);
  votes = {{1, false}, {2, false}, {3, false}};
  EXPECT_EQ(majority_vote(voters, vote), VoteResult::kLost);

  ConfState joint{{1, 2, 3}, {4, 5, 6}, {}};
  votes = {{1, true}, {2, true}, {4, true}};
  EXPECT_EQ(joint_vote(joint, vote), VoteResult::kPending);
  votes[5] = true;
  EXPECT_EQ(joint_vote(joint, vote), VoteResult::kWon);
  votes = {{1, true}, {2, true}, {4, false}, {5, false}};
  EXPECT_EQ(joint_vote(joint, vote), VoteResult::kLost);
}

}  // namespace
}  // namespace raftkv::raft
