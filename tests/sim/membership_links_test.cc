// Which peers a node dials, scripted on the shipped nodes (ScriptedCluster): the regression
// cases of the whole-node sweep's membership mix (session 10, seeds 5002087 and 5002249;
// session 11, seeds 5001334 and 5001326 at 5 nodes; docs/simulator.md), independent of the
// simulator's random draws. A node's transport
// sends only to the peers its MembershipService dials, so a member it does not dial is one
// it can neither replicate to nor answer.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sim/scripted_cluster.h"

namespace raftkv::sim {
namespace {

constexpr Time kMs = ScriptedCluster::kMs;
constexpr uint64_t kOperator = 1;
constexpr uint64_t kClient = 2;

kv::Argv add_learner(raft::NodeId id) {
  return {"RAFT", "ADD-LEARNER", std::to_string(id), sim_peer_address(id).to_string(),
          sim_client_address(id)};
}

// The leader appends the removal of a learner while its disk lags, and is cut off; applying
// the learner's (earlier, committed) entry then makes it stop dialling the learner, as the
// configuration in effect (the last appended) leaves it out. The removal is discarded:
// another leader's log overwrites it, and the configuration has the learner again. When
// the node leads again it must replicate to it (it used to dial it no more: the learner
// never caught up).
TEST(MembershipLinks, ALearnerIsDialledAgainWhenItsRemovalIsDiscarded) {
  ScriptedCluster c(3, 1);
  ASSERT_TRUE(c.make_leader(1));
  ASSERT_EQ(c.call(1, kClient, {"SET", "k", "0"}), "+OK\r\n");
  // Node 1's disk completes nothing for a while: it learns that the learner's entry
  // committed (the others have it) but applies it only after it appended the removal.
  c.node(1).stall_disk(c.now() + 300 * kMs);
  c.send(1, kOperator, add_learner(4));
  c.run_for(50 * kMs);
  c.isolate(1);
  c.send(1, kOperator, {"RAFT", "REMOVE", "4"});  // appended, never committed
  c.run_for(3000 * kMs);                          // the disk catches up; the others elect a leader
  EXPECT_FALSE(c.node(1).dials(4)) << "its configuration in effect leaves 4 out";
  c.heal();
  c.run_for(1000 * kMs);  // node 1 follows; its removal entry is overwritten
  ASSERT_TRUE(c.make_leader(1));
  ASSERT_EQ(c.call(1, kClient, {"SET", "k", "2"}), "+OK\r\n");
  c.run_for(1000 * kMs);
  EXPECT_TRUE(c.node(1).dials(4));
  EXPECT_EQ(c.applied(4), c.applied(1)) << "the learner is replicated to";
}

// A follower applies the removal of node 1 (and stops dialling it), then is cut off while
// node 1, wiped and started again to join, is added back and made a voter, and comes to
// lead. Back, the follower hears node 1's appends but lacks the entries that add it: it
// must dial its leader again to answer it, or it never catches up.
TEST(MembershipLinks, AFollowerDialsALeaderItHadRemoved) {
  ScriptedCluster c(4);
  ASSERT_TRUE(c.make_leader(3));
  ASSERT_EQ(c.call(3, kOperator, {"RAFT", "REMOVE", "1"}), "+OK\r\n");
  ASSERT_EQ(c.call(3, kClient, {"SET", "k", "1"}), "+OK\r\n");
  c.run_for(500 * kMs);
  ASSERT_FALSE(c.node(2).dials(1)) << "the follower pruned the removed node";
  std::map<raft::NodeId, net::PeerAddress> everyone;
  for (raft::NodeId id = 1; id <= 4; ++id) everyone[id] = sim_peer_address(id);
  c.node(1).rejoin(everyone);
  c.isolate(2);
  ASSERT_EQ(c.call(3, kOperator, add_learner(1)), "+OK\r\n");
  c.run_for(500 * kMs);
  ASSERT_EQ(c.call(3, kOperator, {"RAFT", "SET-VOTERS", "1", "2", "3", "4"}), "+OK\r\n");
  c.run_for(500 * kMs);
  ASSERT_TRUE(c.make_leader(1));
  ASSERT_EQ(c.call(1, kClient, {"SET", "k", "2"}), "+OK\r\n");
  c.heal();
  c.run_for(2000 * kMs);
  EXPECT_TRUE(c.node(2).dials(1));
  EXPECT_EQ(c.applied(2), c.applied(1)) << "the follower caught up with its leader";
}

// A founder is cut off while a spare is added and made a voter, and the spare comes to
// lead. Back, the founder hears the new leader's appends, but neither its configuration
// nor its member directory names it yet (those entries are what it must receive), so
// nothing told it where the leader listens but the leader's handshake (v4, which carries
// the dialler's peer address). Without it, the founder could never answer and never
// caught up: a liveness failure whenever the cluster needs its vote.
TEST(MembershipLinks, AFollowerDialsALeaderAddedWhileItLagged) {
  ScriptedCluster c(3, 1);
  ASSERT_TRUE(c.make_leader(2));
  ASSERT_EQ(c.call(2, kClient, {"SET", "k", "1"}), "+OK\r\n");
  c.run_for(200 * kMs);
  c.isolate(1);
  ASSERT_EQ(c.call(2, kOperator, add_learner(4)), "+OK\r\n");
  c.run_for(500 * kMs);
  ASSERT_EQ(c.call(2, kOperator, {"RAFT", "SET-VOTERS", "1", "2", "3", "4"}), "+OK\r\n");
  c.run_for(500 * kMs);
  ASSERT_TRUE(c.make_leader(4));
  ASSERT_EQ(c.call(4, kClient, {"SET", "k", "2"}), "+OK\r\n");
  ASSERT_FALSE(c.node(1).dials(4)) << "nothing node 1 applied names node 4";
  c.heal();
  c.run_for(2000 * kMs);
  EXPECT_TRUE(c.node(1).dials(4));
  EXPECT_EQ(c.applied(1), c.applied(4)) << "the founder caught up with its new leader";
}

}  // namespace
}  // namespace raftkv::sim
