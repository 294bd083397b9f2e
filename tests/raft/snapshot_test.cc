// InstallSnapshot (Raft §7): a follower whose next entry the leader compacted gets the
// snapshot, also when the snapshot or its acknowledgement is lost on the way.
#include <gtest/gtest.h>

#include "harness.h"

namespace raftkv::raft::test {
namespace {

// Leader 1 commits entries while node 3 is cut off, then compacts its log past them: node
// 3 can only catch up through a snapshot.
void compact_past_isolated_follower(Cluster& c) {
  c.campaign(1);
  ASSERT_EQ(c.leader(), 1u);
  c.isolate(3);
  for (int i = 0; i < 5; ++i) c.node(1).propose("v" + std::to_string(i));
  c.deliver_all();
  Index applied = c.raft(1).log().applied();
  ASSERT_GT(applied, c.raft(3).log().last_index());
  ASSERT_FALSE(c.storage(1).compact(applied, c.node(1).conf_at(applied), "image"));
  c.heal();
}

void heartbeat_rounds(Cluster& c, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    c.tick(1);
    c.deliver_all();
  }
}

// A lost kSnapshot (or a follower that crashed before persisting it) left the leader
// waiting for its acknowledgement forever: the follower stayed paused, heartbeats kept it
// from starting an election, and it never caught up while that leader lasted.
TEST(Snapshot, ALostSnapshotIsSentAgain) {
  Cluster c(3);
  compact_past_isolated_follower(c);
  c.drop_types = {MessageType::kSnapshot};
  heartbeat_rounds(c, 3);
  EXPECT_EQ(c.raft(1).tracker().progress(3)->state, ProgressState::kSnapshot);
  c.drop_types.clear();
  heartbeat_rounds(c, 2 * 10);  // two election timeouts of heartbeats
  EXPECT_EQ(c.raft(3).log().committed(), c.raft(1).log().committed());
  EXPECT_EQ(c.storage(3).snapshot().meta, c.storage(1).snapshot().meta);
  EXPECT_EQ(c.raft(1).tracker().progress(3)->state, ProgressState::kReplicate);
}

// The same when the follower installed the snapshot but its acknowledgement was lost: the
// snapshot sent again is answered with the follower's commit index.
TEST(Snapshot, ALostSnapshotAcknowledgementIsRecovered) {
  Cluster c(3);
  compact_past_isolated_follower(c);
  bool dropped = false;
  c.filter = [&c, &dropped](Message& m) {
    bool installed = !c.storage(3).snapshot().empty();
    if (m.from == 3 && m.type == MessageType::kAppResp && installed && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  heartbeat_rounds(c, 2);
  ASSERT_TRUE(dropped);
  EXPECT_EQ(c.storage(3).snapshot().meta, c.storage(1).snapshot().meta);
  heartbeat_rounds(c, 2 * 10);
  EXPECT_EQ(c.raft(1).tracker().progress(3)->state, ProgressState::kReplicate);
  c.node(1).propose("after");
  c.deliver_all();
  EXPECT_EQ(c.raft(3).log().committed(), c.raft(1).log().committed());
}

}  // namespace
}  // namespace raftkv::raft::test

namespace raftkv::raft::test {
namespace {

// A follower that already holds a snapshot's last entry keeps its log, but must not claim
// that the entries after it match the leader: they may be a deposed leader's. Its answer
// names only the committed prefix, so the leader cannot count a divergent entry.
TEST(Snapshot, FollowerHoldingTheSnapshotEntryAcknowledgesOnlyWhatMatches) {
  Cluster c(3);
  c.set_log(2, {1, 1, 2, 2}, 2);  // indexes 3 and 4 come from a term-2 leader that lost
  Message m;
  m.type = MessageType::kSnapshot;
  m.from = 1;
  m.to = 2;
  m.term = 3;
  m.snapshot = Snapshot{SnapshotMeta{2, 1, ConfState{{1, 2, 3}, {}, {}}}, "image"};
  c.node(2).step(m);
  Message ack;
  for (const auto& out : c.take_messages()) {
    if (out.from == 2 && out.type == MessageType::kAppResp) ack = out;
  }
  ASSERT_EQ(ack.type, MessageType::kAppResp);
  EXPECT_FALSE(ack.reject);
  EXPECT_EQ(ack.index, 2u) << "acknowledged entries beyond the snapshot that may diverge";
  EXPECT_EQ(c.raft(2).log().last_index(), 4u) << "the matching log is kept";
}

}  // namespace
}  // namespace raftkv::raft::test
