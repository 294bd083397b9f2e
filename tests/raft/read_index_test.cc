// Linearizable reads through ReadIndex (thesis §6.4): "the leader ... records its current
// commit index in a local variable readIndex ... sends a new round of heartbeats and waits
// for their acknowledgments from a majority ... waits for its state machine to advance at
// least as far as the readIndex".
#include <gtest/gtest.h>

#include "harness.h"

namespace raftkv::raft::test {
namespace {

bool released(Cluster& c, NodeId id, const std::string& ctx, Index* index = nullptr) {
  for (const auto& r : c.peer(id).reads) {
    if (r.context == ctx) {
      if (index) *index = r.index;
      return true;
    }
  }
  return false;
}

TEST(ReadIndex, LeaderReleasesReadAfterAQuorumConfirmsAndStateMachineCatchesUp) {
  Cluster c(3);
  c.campaign(1);
  c.node(1).propose("x");
  c.deliver_all();
  Index commit = c.raft(1).log().committed();

  ASSERT_TRUE(c.node(1).read_index("r1").has_value());
  c.process();
  EXPECT_FALSE(released(c, 1, "r1")) << "released before any heartbeat round";
  c.deliver_all();
  Index idx = 0;
  ASSERT_TRUE(released(c, 1, "r1", &idx));
  EXPECT_EQ(idx, commit);
  EXPECT_GE(c.raft(1).log().applied(), idx);
}

// "an isolated old leader never answers with stale data": without a quorum's
// acknowledgement the read is never released — even with CheckQuorum off, so the leader
// keeps believing it leads. The injected bug releases it at once, so the test can fail.
TEST(ReadIndex, IsolatedLeaderNeverReleasesARead) {
  for (bool bug : {false, true}) {
    Cluster c(3, [bug](TestConfig& cfg) {
      cfg.check_quorum = false;
      cfg.bugs.unconfirmed_reads = bug;
    });
    c.campaign(1);
    c.isolate(1);
    c.campaign(2);
    c.node(2).propose("new");
    c.deliver_all();
    ASSERT_EQ(c.node(1).role(), Role::kLeader);
    ASSERT_TRUE(c.node(1).read_index("stale?").has_value());
    c.tick_all(50);
    EXPECT_EQ(released(c, 1, "stale?"), bug);
  }
}

// "if the leader has not yet marked an entry from its current term committed, it waits
// until it has done so."
TEST(ReadIndex, NewLeaderDefersReadsUntilItsTermHasACommittedEntry) {
  Cluster c(3);
  c.drop_types = {MessageType::kAppResp};  // the no-op cannot commit
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  ASSERT_TRUE(c.node(1).read_index("early").has_value());
  c.deliver_all();
  EXPECT_FALSE(released(c, 1, "early"));
  EXPECT_LT(c.raft(1).log().committed(), c.raft(1).log().last_index());

  c.drop_types.clear();
  c.tick_all(3);
  Index idx = 0;
  ASSERT_TRUE(released(c, 1, "early", &idx));
  EXPECT_GE(idx, c.raft(1).log().last_index()) << "read index must cover the no-op";
}

// The same for a read a follower forwards: the leader keeps it until its no-op commits
// instead of dropping it (which left the follower's client to wait out its timeout).
TEST(ReadIndex, NewLeaderDefersForwardedReadsToo) {
  Cluster c(3);
  c.drop_types = {MessageType::kAppResp};  // the no-op cannot commit
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  c.deliver_all();
  ASSERT_EQ(c.node(2).leader(), 1u);
  ASSERT_TRUE(c.node(2).read_index("forwarded").has_value());
  c.deliver_all();
  EXPECT_FALSE(released(c, 2, "forwarded"));
  const uint64_t dropped = c.node(1).dropped_messages();

  c.drop_types.clear();
  c.tick_all(3);
  EXPECT_TRUE(released(c, 2, "forwarded"));
  EXPECT_EQ(c.node(1).dropped_messages(), dropped);
}

// "each read context is unique so a delayed heartbeat response cannot confirm a different
// read": acknowledgements of an older round do not confirm a newer read.
TEST(ReadIndex, DelayedAcknowledgementOfAnOlderRoundDoesNotConfirmANewerRead) {
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.campaign(1);
  c.tick_all(1);
  // Round for read A goes out; hold the heartbeats.
  ASSERT_TRUE(c.node(1).read_index("A").has_value());
  auto round_a = c.take_messages();
  ASSERT_FALSE(round_a.empty());
  // Followers answer round A, but the answers are delayed.
  std::vector<Message> answers_a;
  for (auto& m : round_a) {
    c.node(m.to).step(m);
    for (auto& r : c.take_messages()) answers_a.push_back(r);
  }
  // Read B registers after round A was sent; its own round is lost.
  ASSERT_TRUE(c.node(1).read_index("B").has_value());
  c.take_messages();
  for (auto& r : answers_a) c.node(1).step(r);
  c.process();
  EXPECT_TRUE(released(c, 1, "A"));
  EXPECT_FALSE(released(c, 1, "B")) << "confirmed by an acknowledgement sent before it existed";
  // The next heartbeat carries a fresh round that confirms B.
  c.tick_all(1);
  EXPECT_TRUE(released(c, 1, "B"));
}

// A follower forwards the request; the leader confirms and answers with its read index,
// and the follower releases the read once it has applied that far.
TEST(ReadIndex, FollowerReadIsForwardedToTheLeader) {
  Cluster c(3);
  c.campaign(1);
  c.node(1).propose("x");
  c.deliver_all();
  ASSERT_TRUE(c.node(2).read_index("f").has_value());
  c.deliver_all();
  c.tick_all(1);
  Index idx = 0;
  ASSERT_TRUE(released(c, 2, "f", &idx));
  EXPECT_EQ(idx, c.raft(1).log().committed());
  EXPECT_GE(c.raft(2).log().applied(), idx);
}

TEST(ReadIndex, NoKnownLeaderIsAnError) {
  Cluster c(3);
  auto r = c.node(2).read_index("x");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ProposeError::kNotLeader);
}

TEST(ReadIndex, SingleNodeClusterConfirmsItself) {
  Cluster c(1);
  c.campaign(1);
  c.process();
  ASSERT_TRUE(c.node(1).read_index("solo").has_value());
  c.process();
  EXPECT_TRUE(released(c, 1, "solo"));
}

}  // namespace
}  // namespace raftkv::raft::test
