// Leader election (Raft §5.2, §5.4.1, and the PreVote/CheckQuorum extensions of the
// thesis §9.6). Each test names the sentence of the paper it checks.
#include <gtest/gtest.h>

#include "harness.h"

namespace raftkv::raft::test {
namespace {

// "If a follower receives no communication over a period of time called the election
// timeout, then it assumes there is no viable leader and begins an election."
TEST(Election, FollowerTimesOutAndThreeNodesElectOneLeader) {
  Cluster c(3);
  NodeId l = c.elect_any();
  ASSERT_NE(l, kNoNode);
  int leaders = 0;
  for (NodeId id : c.ids()) {
    leaders += c.node(id).role() == Role::kLeader;
    EXPECT_EQ(c.node(id).term(), c.node(l).term());
    EXPECT_EQ(c.node(id).leader(), l);
  }
  EXPECT_EQ(leaders, 1);
}

// "A leader appends an entry of its own term at once" (the no-op of §8), and it commits.
TEST(Election, NewLeaderCommitsAnEmptyEntryOfItsTerm) {
  Cluster c(3);
  NodeId l = c.elect_any();
  ASSERT_NE(l, kNoNode);
  c.tick_all(2);
  for (NodeId id : c.ids()) {
    ASSERT_FALSE(c.peer(id).applied.empty()) << "node " << id;
    const Entry& e = c.peer(id).applied.back();
    EXPECT_EQ(e.term, c.node(l).term());
    EXPECT_TRUE(e.data.empty());
  }
}

}  // namespace
}  // namespace raftkv::raft::test
