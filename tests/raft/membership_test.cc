// Membership changes by joint consensus (Raft §6 / thesis §4.3), learners and leadership
// transfer (thesis §3.10).
#include <gtest/gtest.h>

#include "harness.h"

namespace raftkv::raft::test {
namespace {

ConfState voters(std::vector<NodeId> v, std::vector<NodeId> learners = {}) {
  return ConfState{std::move(v), {}, std::move(learners)};
}

// Completes a change proposed at the leader: deliver, and tick so the leader leaves the
// joint configuration.
void settle(Cluster& c) {
  c.deliver_all();
  c.tick_all(3);
}

// "the cluster first switches to a transitional configuration we call joint consensus;
// once the joint consensus has been committed, the system then transitions to the new
// configuration."
TEST(Membership, AddingAVoterGoesThroughTheJointConfiguration) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  c.add_node(4);
  auto r = c.node(1).propose_conf_change(voters({1, 2, 3, 4}), "ctx");
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  // "a server always uses the latest configuration in its log, regardless of whether the
  // entry is committed": the leader is joint at once.
  EXPECT_EQ(c.node(1).status().conf, (ConfState{{1, 2, 3, 4}, {1, 2, 3}, {}}));
  settle(c);
  for (NodeId id : c.ids()) {
    EXPECT_EQ(c.node(id).status().conf, voters({1, 2, 3, 4})) << "node " << id;
  }
  // The log holds C(old,new) then C(new), both carrying the context.
  int conf_entries = 0;
  for (const Entry& e : c.peer(4).applied) {
    if (e.type != EntryType::kConfChange) continue;
    ++conf_entries;
    EXPECT_EQ(decode_conf_change(e.data)->context, "ctx");
  }
  EXPECT_EQ(conf_entries, 2);
  // The new voter takes part: with 1 and 2 down, 3 and 4 cannot commit (need 3 of 4) ...
  c.isolate(1);
  c.isolate(2);
  c.campaign(3);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
  // ... but 2, 3 and 4 can.
  c.heal();
  c.isolate(1);
  c.tick_all(50);
  NodeId l = c.leader();
  ASSERT_NE(l, kNoNode);
  EXPECT_NE(l, 1u);
}

// "In the joint consensus ... agreement (for elections and entry commitment) requires
// separate majorities from both the old and new configurations."
TEST(Membership, JointConfigurationNeedsBothMajorities) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  c.add_node(4);
  c.add_node(5);
  c.isolate(4);
  c.isolate(5);
  // Replace 2 and 3 by 4 and 5: the new set {1,4,5} has only node 1 reachable.
  auto r = c.node(1).propose_conf_change(voters({1, 4, 5}), "");
  ASSERT_TRUE(r.has_value());
  c.deliver_all();
  c.tick_all(3);
  EXPECT_LT(c.raft(1).log().committed(), r->index)
      << "C(old,new) committed with only the old majority";
  auto w = c.node(1).propose("x");
  ASSERT_TRUE(w.has_value());
  c.deliver_all();
  EXPECT_LT(c.raft(1).log().committed(), w->index);
  c.heal();
  c.tick_all(5);
  EXPECT_GE(c.raft(1).log().committed(), w->index);
  EXPECT_EQ(c.node(1).status().conf, voters({1, 4, 5}));
}

// One change at a time; and none before the leader committed an entry of its own term.
TEST(Membership, ChangesAreRefusedWhileOneIsInFlight) {
  Cluster c(3);
  c.drop_types = {MessageType::kAppResp};
  c.campaign(1);
  auto early = c.node(1).propose_conf_change(voters({1, 2}), "");
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error(), ProposeError::kConfChangePending) << "no entry of its term committed";
  c.drop_types.clear();
  c.tick_all(2);

  c.add_node(4);
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({1, 2, 3, 4}), "").has_value());
  auto second = c.node(1).propose_conf_change(voters({1, 2, 3}), "");
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error(), ProposeError::kConfChangePending);
  settle(c);
  EXPECT_TRUE(c.node(1).propose_conf_change(voters({1, 2, 3}), "").has_value());
}

TEST(Membership, InvalidTargetsAreRejected) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(2);
  for (const ConfState& bad :
       {voters({}), voters({1, 2}, {2}), voters({1, 2}, {3}), ConfState{{1}, {2}, {}}}) {
    auto r = c.node(1).propose_conf_change(bad, "");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), ProposeError::kInvalidConf);
  }
  EXPECT_EQ(c.node(2).propose_conf_change(voters({1, 2}), "").error(), ProposeError::kNotLeader);
}

// "the leader steps down (returns to follower state) once it has committed the C(new) log
// entry" when it is not part of C(new); removed servers do not disrupt the cluster.
TEST(Membership, RemovedLeaderStepsDownAndNeverCampaigns) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({2, 3}), "").has_value());
  c.deliver_all();
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(2).status().conf, voters({2, 3}));
  // It handed over at once (TimeoutNow): a remaining voter leads without any ticks.
  NodeId l = c.leader();
  EXPECT_TRUE(l == 2 || l == 3) << "no successor without waiting for an election timeout";
  l = c.elect_any();
  ASSERT_TRUE(l == 2 || l == 3);
  Term term = c.node(l).term();
  c.tick(1, 100);
  EXPECT_EQ(c.node(1).role(), Role::kFollower) << "a removed node campaigned";
  c.tick_all(20);
  EXPECT_EQ(c.leader(), l);
  EXPECT_EQ(c.node(l).term(), term);
}

// Learners receive the log but neither vote nor count toward commitment.
TEST(Membership, LearnerReplicatesButDoesNotCount) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  c.add_node(4);
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({1, 2, 3}, {4}), "").has_value());
  settle(c);
  EXPECT_EQ(c.node(4).status().conf, voters({1, 2, 3}, {4})) << "learners change in one step";
  c.node(1).propose("to-learner");
  c.deliver_all();
  c.tick_all(1);
  EXPECT_EQ(c.peer(4).applied.back().data, "to-learner");
  // With 2 and 3 isolated, 1 + learner 4 is not a majority.
  c.isolate(2);
  c.isolate(3);
  auto w = c.node(1).propose("blocked");
  c.deliver_all();
  EXPECT_LT(c.raft(1).log().committed(), w->index);
  c.tick(4, 100);
  EXPECT_EQ(c.node(4).role(), Role::kFollower) << "a learner campaigned";
}

// A configuration takes effect when appended, so a node whose uncommitted configuration
// entry is overwritten by a new leader returns to the previous configuration.
TEST(Membership, OverwrittenConfigurationEntryIsUndone) {
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.campaign(1);
  c.tick_all(1);
  c.add_node(4);
  c.isolate(1);
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({1, 2, 3, 4}), "").has_value());
  c.deliver_all();
  ASSERT_TRUE(c.node(1).status().conf.joint()) << "in effect once appended";
  c.campaign(2);
  ASSERT_EQ(c.node(2).role(), Role::kLeader);
  c.node(2).propose("new leader's entry");
  c.deliver_all();
  c.heal();
  c.isolate(4);
  c.tick_all(5);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).status().conf, voters({1, 2, 3})) << "overwritten change still in effect";
  EXPECT_EQ(c.raft(1).log().last_index(), c.raft(2).log().last_index());
}

// Regression (found by the simulator): a node whose latest configuration excludes it, while
// that configuration is not yet committed, must still campaign. Here leader 1 commits
// C(old,new) = {2,3} & {1,2}, appends C(new) = {2,3}, and loses leadership before C(new)
// leaves it. Nodes 2 and 3 are still joint and need 1's vote, which 1 refuses (its log is
// longer); so only 1 can be elected (by C(new)'s quorum), and if it never stands the
// cluster has no leader forever. Raft thesis §4.2.2: such a server "should still start new
// elections, as it might still be needed until the Cnew entry is committed".
TEST(Membership, NodeOutsideItsUncommittedConfigurationStillCampaigns) {
  Cluster c(2);
  c.campaign(1);
  c.tick_all(1);
  c.add_node(3);
  c.filter = [](Message& m) {
    for (const Entry& e : m.entries) {
      if (e.type == EntryType::kConfChange && !decode_conf_change(e.data)->conf.joint()) {
        return false;  // C(new) never leaves node 1
      }
    }
    return true;
  };
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({2, 3}), "").has_value());
  c.deliver_all();
  ASSERT_EQ(c.node(1).status().conf, voters({2, 3}));
  ASSERT_TRUE(c.node(2).status().conf.joint());
  ASSERT_TRUE(c.node(3).status().conf.joint());
  // Node 1 is cut off until check-quorum makes it step down; 2 and 3 cannot win without it.
  c.isolate(1);
  c.tick_all(30);
  ASSERT_EQ(c.node(1).role(), Role::kFollower);
  c.heal();
  c.filter = nullptr;
  ASSERT_NE(c.elect_any(300), kNoNode) << "no leader: node 1 never campaigned";
  c.tick_all(10);
  NodeId l = c.leader();
  EXPECT_TRUE(l == 2 || l == 3) << "leader " << l;
  for (NodeId id : {2, 3}) EXPECT_EQ(c.node(id).status().conf, voters({2, 3})) << id;
  // Once it knows C(new) committed, node 1 is truly removed and stays quiet.
  Term term = c.node(l).term();
  c.tick(1, 100);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  c.tick_all(20);
  EXPECT_EQ(c.node(l).term(), term);
}

// The configuration in effect is rebuilt from the log after a restart.
TEST(Membership, ConfigurationSurvivesRestart) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  c.add_node(4);
  ASSERT_TRUE(c.node(1).propose_conf_change(voters({1, 2, 3, 4}), "").has_value());
  settle(c);
  c.restart(2);
  EXPECT_EQ(c.node(2).status().conf, voters({1, 2, 3, 4}));
  EXPECT_EQ(c.node(2).conf_at(1), voters({1, 2, 3}));
}

// Leadership transfer: "the prior leader sends a TimeoutNow request to the target server ...
// the target server starts a new election" — after being brought up to date; proposals
// are refused meanwhile, and a transfer that does not finish is abandoned.
TEST(Membership, LeadershipTransfer) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  // Make 3 lag behind, then transfer to it: the leader first catches it up.
  c.isolate(3);
  for (int i = 0; i < 5; ++i) c.node(1).propose("w" + std::to_string(i));
  c.deliver_all();
  c.heal();
  ASSERT_TRUE(c.node(1).transfer_leadership(3).has_value());
  EXPECT_EQ(c.node(1).propose("during").error(), ProposeError::kTransferring);
  c.deliver_all();
  c.tick_all(2);
  EXPECT_EQ(c.leader(), 3u);
  EXPECT_EQ(c.raft(3).log().last_index(), c.raft(1).log().last_index());

  // A transfer to an unreachable node is abandoned after an election timeout.
  c.isolate(2);
  ASSERT_TRUE(c.node(3).transfer_leadership(2).has_value());
  EXPECT_FALSE(c.node(3).propose("x").has_value());
  c.tick_all(20);
  EXPECT_EQ(c.node(3).role(), Role::kLeader);
  EXPECT_TRUE(c.node(3).propose("y").has_value());
}

}  // namespace
}  // namespace raftkv::raft::test
