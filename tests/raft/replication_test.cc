// Log replication and commitment (Raft §5.3, §5.4.2). Each test names the sentence of the
// paper it checks; the Figure 7 and Figure 8 scenarios are tables.
#include <gtest/gtest.h>

#include <set>

#include "harness.h"

namespace raftkv::raft::test {
namespace {

std::vector<Term> log_terms(Cluster& c, NodeId id) {
  const RaftLog& log = c.raft(id).log();
  std::vector<Term> out;
  for (Index i = log.first_index(); i <= log.last_index(); ++i) out.push_back(*log.term(i));
  return out;
}

// Figure 7: "When the leader at the top comes to power, it is possible that any of
// scenarios (a–f) could occur in follower logs." and §5.3: "the leader handles
// inconsistencies by forcing the followers' logs to duplicate its own." With the conflict
// hint, repair takes at most one rejected round trip per conflicting term.
TEST(Replication, Figure7FollowerLogsAreRepairedToTheLeaders) {
  const std::vector<Term> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  struct Case {
    const char* name;
    std::vector<Term> follower;
  };
  const std::vector<Case> cases = {
      {"a", {1, 1, 1, 4, 4, 5, 5, 6, 6}},
      {"b", {1, 1, 1, 4}},
      {"c", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}},
      {"d", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}},
      {"e", {1, 1, 1, 4, 4, 4, 4}},
      {"f", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}},
  };
  for (const auto& tc : cases) {
    Cluster c(3);
    c.set_log(1, leader_log, 7);
    c.set_log(2, tc.follower, 7);
    c.set_log(3, leader_log, 7);  // gives the leader its majority
    c.campaign(1);
    ASSERT_EQ(c.node(1).role(), Role::kLeader) << tc.name;
    c.tick_all(3);

    std::vector<Term> expected = leader_log;
    expected.push_back(c.node(1).term());  // the new leader's no-op
    EXPECT_EQ(log_terms(c, 2), expected) << "follower " << tc.name;
    EXPECT_EQ(c.raft(2).log().committed(), expected.size()) << tc.name;

    std::set<Term> follower_terms(tc.follower.begin(), tc.follower.end());
    size_t rejections = 0;
    for (const auto& m : c.delivered) {
      rejections += m.type == MessageType::kAppResp && m.from == 2 && m.reject;
    }
    EXPECT_LE(rejections, follower_terms.size()) << "follower " << tc.name;
  }
}

// Figure 8 / §5.4.2: "a leader cannot immediately conclude that an entry from a previous term
// is committed once it is stored on a majority of servers ... Raft never commits log entries
// from previous terms by counting replicas."
//
// S1 leads term 4 with log [1,2]; S5 holds [1,3]. S1 replicates index 2 (term 2) to S2 and S3
// — a majority — but its own term-4 entry never gets out. Then S1 fails and S5 wins term 5
// with S2, S3, S4 and overwrites index 2. If S1 had committed index 2 by counting replicas,
// two nodes would apply different entries at index 2.
void run_figure8(bool inject_bug, bool* s1_committed_index2, bool* machines_diverged) {
  Cluster c(5, [inject_bug](TestConfig& cfg) {
    cfg.max_size_per_msg = 1;  // one entry per message, so index 2 travels alone
    cfg.pre_vote = false;      // S5 must be able to win term 5 as in the figure
    cfg.check_quorum = false;
    cfg.bugs.commit_previous_term = inject_bug;
  });
  c.set_log(1, {1, 2}, 3);
  c.set_log(2, {1}, 3);
  c.set_log(3, {1}, 3);
  c.set_log(4, {1}, 3);
  c.set_log(5, {1, 3}, 3);
  c.cut(1, 5);
  c.filter = [](Message& m) {
    // S1's own-term entries never get out (it crashes before sending them).
    std::erase_if(m.entries, [](const Entry& e) { return e.term == 4; });
    return true;
  };
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  ASSERT_EQ(c.node(1).term(), 4u);
  c.tick(1, 1);
  c.deliver_all();
  ASSERT_EQ(c.raft(2).log().term(2), std::optional<Term>(2));
  ASSERT_EQ(c.raft(3).log().term(2), std::optional<Term>(2));
  *s1_committed_index2 = c.raft(1).log().committed() >= 2;

  c.filter = nullptr;
  c.heal();
  c.isolate(1);
  for (int attempt = 0; attempt < 3 && c.node(5).role() != Role::kLeader; ++attempt) {
    c.campaign(5);  // the first attempt (term 4) only teaches S5 the current term
  }
  ASSERT_EQ(c.node(5).role(), Role::kLeader);
  c.tick_all(3);

  *machines_diverged = false;
  for (NodeId id : c.ids()) {
    for (const Entry& e : c.peer(id).applied) {
      if (e.index == 2 && e.term != 3) *machines_diverged = true;
    }
  }
}

TEST(Replication, Figure8NeverCommitsAPreviousTermEntryByCountingReplicas) {
  bool committed = true, diverged = true;
  run_figure8(false, &committed, &diverged);
  EXPECT_FALSE(committed);
  EXPECT_FALSE(diverged);

  // The same scenario with the rule switched off: the test must be able to fail.
  run_figure8(true, &committed, &diverged);
  EXPECT_TRUE(committed);
  EXPECT_TRUE(diverged);
}

// "If an existing entry conflicts with a new one (same index but different terms), delete
// the existing entry and all that follow it" — and only then: a duplicated or reordered
// AppendEntries must not truncate entries that match.
TEST(Replication, DuplicatedAndReorderedAppendsLeaveLogsCorrect) {
  Cluster c(2);
  c.campaign(1);
  c.tick_all(1);
  // Capture two appends: one with entry "a", then one with "b".
  c.node(1).propose("a");
  auto first = c.take_messages();
  c.node(1).propose("b");
  auto second = c.take_messages();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(first[0].type, MessageType::kApp);

  // Deliver the newer first, then the older one, then both again.
  std::vector<Message> order;
  for (auto& m : second) order.push_back(m);
  for (auto& m : first) order.push_back(m);
  for (auto& m : second) order.push_back(m);
  for (auto& m : first) order.push_back(m);
  // The newer append does not connect until "a" arrives (it is rejected first).
  for (const auto& m : order) {
    c.node(m.to).step(m);
    c.deliver_all();
  }
  c.tick_all(2);
  EXPECT_EQ(log_terms(c, 2), log_terms(c, 1));
  const RaftLog& log = c.raft(2).log();
  auto ents = log.slice(log.first_index(), log.last_index() + 1, UINT64_MAX);
  ASSERT_TRUE(ents.ok());
  std::vector<std::string> data;
  for (const auto& e : *ents) {
    if (!e.data.empty()) data.push_back(e.data);
  }
  EXPECT_EQ(data, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(c.raft(2).log().committed(), c.raft(1).log().committed());
}

// An old append arriving after newer ones must not truncate the entries that follow it
// (the injected bug does, which shows the test can fail).
TEST(Replication, StaleAppendDoesNotTruncateMatchingEntries) {
  for (bool bug : {false, true}) {
    Cluster c(3, [bug](TestConfig& cfg) { cfg.bugs.truncate_matching_suffix = bug; });
    c.campaign(1);
    auto to_node2 = [&c] {
      std::vector<Message> out;
      for (auto& m : c.take_messages()) {
        if (m.to == 2 && m.type == MessageType::kApp) out.push_back(m);
      }
      return out;
    };
    c.node(1).propose("x");
    auto stale = to_node2();
    ASSERT_EQ(stale.size(), 1u);
    c.node(2).step(stale[0]);
    c.node(1).propose("y");
    for (auto& m : to_node2()) c.node(2).step(m);
    c.process();
    Index before = c.raft(2).log().last_index();
    ASSERT_EQ(c.raft(2).log().committed(), 1u) << "the follower must not know x committed";
    c.node(2).step(stale[0]);  // duplicated / delayed
    if (bug) {
      EXPECT_LT(c.raft(2).log().last_index(), before);
    } else {
      EXPECT_EQ(c.raft(2).log().last_index(), before);
    }
  }
}

// "The leader ... replicates [an entry] and the entry is committed once the leader that
// created it has replicated it on a majority"; followers learn the commit index from the
// leader and apply in log order.
TEST(Replication, CommittedEntriesAreAppliedEverywhereInOrder) {
  Cluster c(5);
  c.campaign(1);
  for (int i = 0; i < 20; ++i) c.node(1).propose("v" + std::to_string(i));
  c.deliver_all();
  c.tick_all(2);
  for (NodeId id : c.ids()) {
    const auto& applied = c.peer(id).applied;
    ASSERT_EQ(applied.size(), 21u) << "node " << id;
    for (size_t i = 0; i < applied.size(); ++i) EXPECT_EQ(applied[i].index, i + 1);
    EXPECT_EQ(applied.back().data, "v19");
  }
}

// "A write costs one round trip to a majority; slow minority nodes never slow commits."
TEST(Replication, MinorityDownDoesNotBlockCommits) {
  Cluster c(5);
  c.campaign(1);
  c.isolate(4);
  c.isolate(5);
  auto p = c.node(1).propose("w");
  ASSERT_TRUE(p.has_value());
  c.deliver_all();
  EXPECT_GE(c.raft(1).log().committed(), p->index);
  c.isolate(3);  // now only 2 of 5: nothing new commits
  auto q = c.node(1).propose("blocked");
  c.deliver_all();
  EXPECT_LT(c.raft(1).log().committed(), q->index);
}

// Proposals go to the leader only; a follower answers with the error and the leader's id.
TEST(Replication, FollowerRefusesProposals) {
  Cluster c(3);
  c.campaign(1);
  auto r = c.node(2).propose("x");
  EXPECT_FALSE(r.has_value());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), ProposeError::kNotLeader);
  EXPECT_EQ(c.node(2).leader(), 1u);
}

// The durability contract: the leader counts its own entry only once it is persisted (after
// advance), so nothing is committed on an unsynced disk.
TEST(Replication, LeaderCountsItsOwnEntryOnlyAfterPersisting) {
  Cluster c(1);
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  auto p = c.node(1).propose("x");
  Ready rd = c.node(1).ready();
  ASSERT_FALSE(rd.entries.empty());
  EXPECT_TRUE(rd.committed_entries.empty());
  EXPECT_LT(c.raft(1).log().committed(), p->index);
  c.storage(1).append(rd.entries);
  c.node(1).advance(rd);
  EXPECT_EQ(c.raft(1).log().committed(), p->index);
  Ready next = c.node(1).ready();
  ASSERT_FALSE(next.committed_entries.empty());
  EXPECT_EQ(next.committed_entries.back().data, "x");
}

// Vote requests and responses, and append acknowledgements, leave only after persisting.
TEST(Replication, AcknowledgementsWaitForPersistence) {
  Cluster c(3);
  c.campaign(1);
  c.node(1).propose("x");
  auto msgs = c.take_messages();
  for (auto& m : msgs) c.node(m.to).step(m);
  Ready rd = c.node(2).ready();
  ASSERT_FALSE(rd.entries.empty());
  bool ack_after = false;
  for (const auto& m : rd.messages) EXPECT_NE(m.type, MessageType::kAppResp);
  for (const auto& m : rd.messages_after_persist) ack_after |= m.type == MessageType::kAppResp;
  EXPECT_TRUE(ack_after);
  c.node(2).advance(rd);
}

// Several appends stepped before one persist are answered by one cumulative acknowledgement
// for the highest index, which the leader takes as matching everything before it.
TEST(Replication, AppendsSteppedTogetherGetOneAcknowledgement) {
  Cluster c(2);
  c.campaign(1);
  c.tick_all(1);
  ASSERT_EQ(c.raft(1).tracker().progress(2)->state, ProgressState::kReplicate);
  std::vector<Message> appends;
  for (int i = 0; i < 3; ++i) {
    c.node(1).propose("v" + std::to_string(i));
    for (auto& m : c.node(1).take_messages()) {
      if (m.to == 2 && m.type == MessageType::kApp) appends.push_back(m);
    }
  }
  ASSERT_EQ(appends.size(), 3u);
  for (const auto& m : appends) c.node(2).step(m);
  Ready rd = c.node(2).ready();
  std::vector<Message> acks;
  for (const auto& m : rd.messages_after_persist) {
    if (m.type == MessageType::kAppResp) acks.push_back(m);
  }
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].index, appends.back().entries.back().index);
  c.storage(2).append(rd.entries);
  c.node(2).advance(rd);
  Ready leader = c.node(1).ready();  // the leader persists its own copy
  c.storage(1).append(leader.entries);
  c.node(1).advance(leader);
  c.node(1).step(acks[0]);
  EXPECT_EQ(c.raft(1).tracker().progress(2)->match, appends.back().entries.back().index);
  EXPECT_EQ(c.raft(1).log().committed(), appends.back().entries.back().index);
}

// The leader may take its next batch before the previous one is durable: each carries only
// new entries, committed entries are handed out once, and the leader counts its own copy
// only as each batch is advanced.
TEST(Replication, ReadyBatchesCanOverlapOnTheWayToDisk) {
  Cluster c(1);
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  c.node(1).propose("a");
  Ready rd1 = c.node(1).ready();
  c.node(1).propose("b");
  Ready rd2 = c.node(1).ready();
  ASSERT_FALSE(rd1.entries.empty());
  ASSERT_EQ(rd2.entries.size(), 1u);
  EXPECT_EQ(rd2.entries[0].data, "b");
  EXPECT_EQ(rd2.entries[0].index, rd1.entries.back().index + 1);
  EXPECT_FALSE(c.node(1).has_ready()) << "nothing new to hand out";

  c.storage(1).append(rd1.entries);
  c.node(1).advance(rd1);
  EXPECT_EQ(c.raft(1).log().committed(), rd1.entries.back().index) << "b is not durable yet";
  Ready rd3 = c.node(1).ready();
  ASSERT_FALSE(rd3.committed_entries.empty());
  EXPECT_EQ(rd3.committed_entries.back().data, "a");
  Ready rd4 = c.node(1).ready();  // before rd3 is advanced
  EXPECT_TRUE(rd4.committed_entries.empty()) << "a is handed out once";

  c.storage(1).append(rd2.entries);
  c.node(1).advance(rd2);
  c.node(1).advance(rd3);
  c.node(1).advance(rd4);
  EXPECT_EQ(c.raft(1).log().committed(), rd2.entries[0].index);
  Ready rd5 = c.node(1).ready();
  ASSERT_EQ(rd5.committed_entries.size(), 1u);
  EXPECT_EQ(rd5.committed_entries[0].data, "b");
}

// The durability contract lets a driver acknowledge a batch as soon as it is fsynced and
// advance() it later, while the node keeps stepping. A follower then sees an A -> B -> A
// rewrite of index 11 while A's batch is still unadvanced: (11,t2) from the leader of term
// 2, (11,t3) from the leader of term 3, then (11,t2),(12,t4) from the leader of term 4.
// Batches 1 and 2 are both durable, so the stored entry at 11 is B's (11,t3). advance() of
// batch 1 must not take the re-appended (11,t2) as persisted, or the next batch writes only
// (12,t4) and acknowledges 12: the durable log would end (11,t3),(12,t4), which matches no
// leader, and a restart would apply the uncommitted (11,t3).
// The scenario above, run up to the point where batch 3 is written to disk (not yet
// advanced). `ignore_accepted_term` is the injected bug that drops the guard.
struct RewriteWhileOnDisk {
  explicit RewriteWhileOnDisk(bool ignore_accepted_term)
      // By value: Cluster keeps this and calls it again on every restart.
      : c(5, [ignore_accepted_term](TestConfig& cfg) {
          cfg.bugs.ignore_accepted_term = ignore_accepted_term;
        }) {
    c.set_log(5, std::vector<Term>(10, 1), 1);
    c.storage(5).set_hard_state(HardState{1, kNoNode, 10});
    c.restart(5);
    c.process();  // applies 1..10
    applied_before = c.raft(5).log().applied();
    append(2, 2, {a}, 10);
    rd1 = c.node(5).ready();
    append(3, 3, {Entry{3, 11, EntryType::kNormal, ""}}, 10);
    rd2 = c.node(5).ready();
    append(4, 4, {a, Entry{4, 12, EntryType::kNormal, ""}}, 12);
    // Both batches reach the disk, in order, before either is advanced.
    write(rd1);
    write(rd2);
    c.node(5).advance(rd1);
    c.node(5).advance(rd2);
    rd3 = c.node(5).ready();
    write(rd3);
  }
  void append(NodeId from, Term term, std::vector<Entry> entries, Index commit) {
    Message m;
    m.type = MessageType::kApp;
    m.from = from;
    m.to = 5;
    m.term = term;
    m.index = 10;
    m.log_term = 1;
    m.entries = std::move(entries);
    m.commit = commit;
    c.node(5).step(m);
  }
  void write(const Ready& rd) {
    c.storage(5).append(rd.entries);
    if (rd.hard_state) c.storage(5).set_hard_state(*rd.hard_state);
  }

  const Entry a{2, 11, EntryType::kNormal, "a"};
  Cluster c;
  Index applied_before = 0;
  Ready rd1, rd2, rd3;
};

TEST(Replication, AnIndexRewrittenAndReappendedWhileOnDiskIsPersistedAgain) {
  RewriteWhileOnDisk s(false);
  ASSERT_EQ(s.applied_before, 10u);
  ASSERT_FALSE(s.rd3.entries.empty());
  EXPECT_EQ(s.rd3.entries.front(), s.a) << "(11,t2) must be written again";
  EXPECT_EQ(*s.c.storage(5).term(11), 2u);
  EXPECT_EQ(*s.c.storage(5).term(12), 4u);
  bool acked_12 = false;
  for (const Message& m : s.rd3.messages_after_persist) {
    acked_12 |= m.type == MessageType::kAppResp && !m.reject && m.index == 12;
  }
  EXPECT_TRUE(acked_12);
  s.c.node(5).advance(s.rd3);
  for (const Ready& rd : {s.rd1, s.rd2, s.rd3}) {
    for (const Entry& e : rd.committed_entries) EXPECT_NE(e.term, 3u) << "applied (11,t3)";
  }
  s.c.restart(5);
  EXPECT_EQ(*s.c.raft(5).log().term(11), 2u);
  EXPECT_EQ(s.c.raft(5).log().last_index(), 12u);
}

// The same scenario with the accepted-term guard switched off (an injected bug) leaves
// the durable log ending (11,t3),(12,t4), which matches no leader: the test above can fail.
TEST(Replication, WithoutTheAcceptedTermGuardTheRewriteIsLost) {
  EXPECT_EQ(*RewriteWhileOnDisk(false).c.storage(5).term(11), 2u);
  EXPECT_EQ(*RewriteWhileOnDisk(true).c.storage(5).term(11), 3u);
}

// A follower the transport cannot reach is probed one message at a time instead of being
// streamed to, so appends do not pile up for a node that is down.
TEST(Replication, AnUnreachableFollowerIsProbedNotStreamedTo) {
  Cluster c(2);
  c.campaign(1);
  c.tick_all(1);
  ASSERT_EQ(c.raft(1).tracker().progress(2)->state, ProgressState::kReplicate);
  c.node(1).report_unreachable(2);
  EXPECT_EQ(c.raft(1).tracker().progress(2)->state, ProgressState::kProbe);
  size_t appends = 0;
  for (int i = 0; i < 10; ++i) {
    c.node(1).propose("x");
    for (const auto& m : c.node(1).take_messages())
      appends += m.to == 2 && m.type == MessageType::kApp;
  }
  EXPECT_EQ(appends, 1u) << "one probe, then paused until the follower answers";
  c.node(1).report_unreachable(1);  // itself: ignored
  c.node(2).report_unreachable(1);  // not a leader: ignored
}

// Flow control: in the replicate state at most max_inflight_msgs appends are unacknowledged,
// and each carries at most max_size_per_msg bytes (but at least one entry).
TEST(Replication, InflightWindowAndMessageSizeAreBounded) {
  Cluster c(2, [](Config& cfg) {
    cfg.max_inflight_msgs = 3;
    cfg.max_size_per_msg = 100;
  });
  c.campaign(1);
  c.tick_all(1);
  ASSERT_EQ(c.raft(1).tracker().progress(2)->state, ProgressState::kReplicate);
  c.isolate(2);
  for (int i = 0; i < 20; ++i) {
    c.node(1).propose(std::string(60, 'a' + static_cast<char>(i)));
    c.take_messages();
  }
  // Appends were produced while the window was open; the window is now full.
  EXPECT_TRUE(c.raft(1).tracker().progress(2)->inflights.full());
  c.node(1).propose("more");
  for (const auto& m : c.take_messages()) {
    EXPECT_NE(m.type, MessageType::kApp) << "sent past a full inflight window";
  }
  // Healed, the follower catches up in messages that respect the size limit.
  c.heal();
  c.delivered.clear();
  c.tick_all(40);
  EXPECT_EQ(c.raft(2).log().last_index(), c.raft(1).log().last_index());
  for (const auto& m : c.delivered) {
    if (m.type != MessageType::kApp || m.entries.size() <= 1) continue;
    uint64_t bytes = 0;
    for (const auto& e : m.entries) bytes += entry_size(e);
    EXPECT_LE(bytes, 100u);
  }
}

}  // namespace
}  // namespace raftkv::raft::test

namespace raftkv::raft::test {
namespace {

// While the leader's batch is being persisted, new proposals are replicated and heartbeats
// go out through take_messages(): the leader's disk does not hold up the network.
TEST(Replication, MessagesFlowWhileABatchIsBeingPersisted) {
  Cluster c(3);
  c.campaign(1);
  c.tick_all(1);
  c.node(1).propose("a");
  Ready rd = c.node(1).ready();  // "a" is being persisted...
  ASSERT_EQ(rd.entries.size(), 1u);
  c.node(1).propose("b");  // ...while "b" arrives
  c.node(1).tick();        // and a heartbeat is due
  auto msgs = c.node(1).take_messages();
  bool heartbeat = false, append_b = false;
  for (const auto& m : msgs) {
    heartbeat |= m.type == MessageType::kHeartbeat;
    for (const auto& e : m.entries) append_b |= e.data == "b";
  }
  EXPECT_TRUE(heartbeat);
  EXPECT_TRUE(append_b);
  for (const auto& m : msgs) c.node(m.to).step(m);
  c.storage(1).append(rd.entries);
  c.node(1).advance(rd);
  c.deliver_all();
  c.tick_all(1);
  EXPECT_EQ(c.peer(2).applied.back().data, "b");
}

}  // namespace
}  // namespace raftkv::raft::test
