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

namespace raftkv::raft::test {
namespace {

Message vote_request(NodeId from, NodeId to, Term term, Index last_index, Term last_term,
                     MessageType type = MessageType::kVote) {
  Message m;
  m.type = type;
  m.from = from;
  m.to = to;
  m.term = term;
  m.index = last_index;
  m.log_term = last_term;
  return m;
}

// The single response `id` produced to a request stepped into it.
Message response_of(Cluster& c, NodeId id) {
  auto msgs = c.take_messages();
  std::vector<Message> from_id;
  for (auto& m : msgs) {
    if (m.from == id) from_id.push_back(m);
  }
  EXPECT_EQ(from_id.size(), 1u);
  return from_id.empty() ? Message{} : from_id.front();
}

// "Raft uses the voting process to prevent a candidate from winning an election unless its
// log contains all committed entries ... If the logs have last entries with different
// terms, then the log with the later term is more up-to-date. If the logs end with the same
// term, then whichever log is longer is more up-to-date." (§5.4.1)
struct RestrictionCase {
  std::vector<Term> voter_log;
  Index candidate_last_index;
  Term candidate_last_term;
  bool granted;
};

TEST(Election, ElectionRestrictionTable) {
  const std::vector<RestrictionCase> cases = {
      {{1, 2, 2}, 3, 2, true},   // same last term, same length
      {{1, 2, 2}, 4, 2, true},   // same last term, longer
      {{1, 2, 2}, 2, 2, false},  // same last term, shorter
      {{1, 2, 2}, 1, 3, true},   // later last term wins even when shorter
      {{1, 2, 2}, 9, 1, false},  // earlier last term loses even when longer
      {{}, 0, 0, true},          // both empty
      {{1}, 0, 0, false},        // empty candidate, non-empty voter
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& tc = cases[i];
    Cluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
    c.set_log(1, tc.voter_log, 5);
    c.node(1).step(vote_request(2, 1, 6, tc.candidate_last_index, tc.candidate_last_term));
    Message r = response_of(c, 1);
    EXPECT_EQ(r.type, MessageType::kVoteResp) << "case " << i;
    EXPECT_EQ(!r.reject, tc.granted) << "case " << i;
    EXPECT_EQ(r.term, 6u) << "case " << i;
    // A higher-term request makes the voter a follower of that term either way.
    EXPECT_EQ(c.node(1).term(), 6u) << "case " << i;
  }
}

// "Each server will vote for at most one candidate in a given term, on a first-come-first-
// served basis" (§5.2) — and the vote is persistent state (Figure 2), so it survives a
// restart.
TEST(Election, OneVotePerTermSurvivesRestart) {
  Cluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
  c.node(1).step(vote_request(2, 1, 5, 0, 0));
  EXPECT_FALSE(response_of(c, 1).reject);
  EXPECT_EQ(c.storage(1).hard_state().vote, 2u);

  c.node(1).step(vote_request(3, 1, 5, 10, 4));
  EXPECT_TRUE(response_of(c, 1).reject) << "second vote in the same term";

  c.restart(1);
  EXPECT_EQ(c.node(1).term(), 5u);
  c.node(1).step(vote_request(3, 1, 5, 10, 4));
  EXPECT_TRUE(response_of(c, 1).reject) << "vote forgotten across restart";
  c.node(1).step(vote_request(2, 1, 5, 0, 0));
  EXPECT_FALSE(response_of(c, 1).reject) << "a repeated request from the same candidate";
}

// With vote_only_when_configured (as raftkv's server runs), a node without a configuration
// (joining, perhaps under a removed member's id after its data was wiped) grants no vote: it has no
// log to compare and no memory of the votes that id cast, so a stale candidate that still counts
// the id as a voter could otherwise win a term that already has a leader. Once it has a
// configuration it votes as usual.
TEST(Election, ANodeWithoutAConfigurationGrantsNoVote) {
  Cluster c(3, [](Config& cfg) {
    cfg.pre_vote = false;
    cfg.vote_only_when_configured = true;
  });
  c.add_node(4);  // joining: no configuration yet
  c.node(4).step(vote_request(2, 4, 5, 0, 0));
  EXPECT_TRUE(response_of(c, 4).reject);
  c.node(4).step(vote_request(2, 4, 6, 0, 0, MessageType::kPreVote));
  EXPECT_TRUE(response_of(c, 4).reject) << "no pre-vote either";
  c.add_node(5, ConfState{{1, 2, 5}, {}, {}});
  c.node(5).step(vote_request(2, 5, 5, 0, 0));
  EXPECT_FALSE(response_of(c, 5).reject) << "a configured node still votes";
}

// "Current terms are exchanged whenever servers communicate; if one server's current term
// is smaller than the other's, then it updates its current term to the larger value. If a
// candidate or leader discovers that its term is out of date, it immediately reverts to
// follower state. If a server receives a request with a stale term number, it rejects the
// request." (§5.1)
TEST(Election, StaleLeaderStepsDownOnHigherTerm) {
  Cluster c(3, [](Config& cfg) { cfg.check_quorum = false; });
  c.campaign(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  Term old_term = c.node(1).term();

  c.isolate(1);
  c.campaign(2);
  ASSERT_EQ(c.node(2).role(), Role::kLeader);
  EXPECT_GT(c.node(2).term(), old_term);
  EXPECT_EQ(c.node(1).role(), Role::kLeader) << "isolated, it cannot know yet";

  // The stale leader's append is rejected, and the answer's term deposes it.
  c.heal();
  c.node(1).propose("stale");
  c.deliver_all();
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  EXPECT_EQ(c.node(1).term(), c.node(2).term());
  EXPECT_EQ(c.leader(), 2u);
  for (NodeId id : c.ids()) {
    for (const Entry& e : c.peer(id).applied) EXPECT_NE(e.data, "stale");
  }
}

// "The third possible outcome is that a candidate neither wins nor loses the election ...
// Raft uses randomized election timeouts to ensure that split votes are rare and that they
// are resolved quickly." (§5.2)
TEST(Election, SplitVoteIsResolvedByANewElection) {
  Cluster c(4, [](Config& cfg) { cfg.pre_vote = false; });
  // 1 and 2 campaign at once; 3 hears only 1, 4 hears only 2: two votes each of four.
  c.cut(1, 4);
  c.cut(2, 3);
  c.node(1).campaign();
  c.node(2).campaign();
  c.deliver_all();
  EXPECT_EQ(c.node(1).role(), Role::kCandidate);
  EXPECT_EQ(c.node(2).role(), Role::kCandidate);
  EXPECT_EQ(c.leader(), kNoNode);

  c.heal();
  NodeId l = c.elect_any();
  ASSERT_NE(l, kNoNode);
  EXPECT_GE(c.node(l).term(), 2u);
}

// A node with an older or shorter log cannot win, however often it tries.
TEST(Election, NodeWithStaleLogCannotWin) {
  struct Case {
    std::vector<Term> loser, others;
    const char* why;
  };
  const std::vector<Case> cases = {
      {{1, 1, 1}, {1, 2}, "longer but with an older last term"},
      {{1}, {1, 1}, "same last term but shorter"},
  };
  for (const auto& tc : cases) {
    Cluster c(3);
    c.set_log(1, tc.loser, 2);
    c.set_log(2, tc.others, 2);
    c.set_log(3, tc.others, 2);
    for (int attempt = 0; attempt < 5; ++attempt) {
      c.campaign(1);
      EXPECT_NE(c.node(1).role(), Role::kLeader) << tc.why;
    }
    c.campaign(2);
    EXPECT_EQ(c.node(2).role(), Role::kLeader) << tc.why;
  }
}

// PreVote (thesis §9.6): "a candidate would first ask other servers whether its log was
// up-to-date enough to get their vote ... only if the candidate believed it could get votes
// from a majority would it increment its term and start a normal election."
TEST(Election, PreVoteKeepsRejoiningNodeFromRaisingTheTerm) {
  for (bool pre_vote : {true, false}) {
    Cluster c(3, [pre_vote](Config& cfg) { cfg.pre_vote = pre_vote; });
    c.campaign(1);
    ASSERT_EQ(c.node(1).role(), Role::kLeader);
    Term term = c.node(1).term();

    c.isolate(3);
    c.tick_all(100);  // node 3 times out again and again
    if (pre_vote) {
      EXPECT_EQ(c.node(3).term(), term) << "a pre-candidate must not raise its term";
    } else {
      EXPECT_GT(c.node(3).term(), term);
    }

    c.heal();
    c.tick_all(20);
    if (pre_vote) {
      EXPECT_EQ(c.leader(), 1u) << "the rejoining node deposed a healthy leader";
      EXPECT_EQ(c.node(1).term(), term);
    } else {
      // Without PreVote the rejoining node's term forces an election (the disruption
      // PreVote exists to prevent); this checks the test can tell the difference.
      EXPECT_GT(c.node(c.elect_any()).term(), term);
    }
  }
}

// "a pre-candidate forgets its old leader"
TEST(Election, PreCandidateForgetsItsLeader) {
  Cluster c(3);
  c.campaign(1);
  c.isolate(3);
  c.tick(3, 30);
  EXPECT_EQ(c.node(3).role(), Role::kPreCandidate);
  EXPECT_EQ(c.node(3).leader(), kNoNode);
}

// CheckQuorum (thesis §6.2): "a leader steps down if an election timeout elapses without a
// successful round of heartbeats to a majority of its cluster."
TEST(Election, CheckQuorumStepsDownAnIsolatedLeader) {
  for (bool check_quorum : {true, false}) {
    Cluster c(3, [check_quorum](Config& cfg) { cfg.check_quorum = check_quorum; });
    c.campaign(1);
    ASSERT_EQ(c.node(1).role(), Role::kLeader);
    c.isolate(1);
    for (int i = 0; i < 2 * 10; ++i) c.tick(1);
    EXPECT_EQ(c.node(1).role() == Role::kLeader, !check_quorum);
  }
}

// With CheckQuorum, a follower that heard from its leader within the election timeout
// ignores a vote request (the leader lease), so a disruptive candidate cannot depose it.
TEST(Election, FollowerInLeaseIgnoresVoteRequests) {
  Cluster c(3, [](Config& cfg) { cfg.pre_vote = false; });
  c.campaign(1);
  Term term = c.node(1).term();
  c.node(2).step(vote_request(3, 2, term + 1, 100, term));
  EXPECT_TRUE(c.take_messages().empty());
  EXPECT_EQ(c.node(2).term(), term);
  EXPECT_EQ(c.node(2).leader(), 1u);
}

// Randomized timeouts are drawn from [T, 2T): no node campaigns before T ticks, and every
// follower has campaigned by 2T.
TEST(Election, RandomizedTimeoutIsWithinTTo2T) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    Cluster c(1, [seed](Config& cfg) {
      cfg.random_seed = seed;
      cfg.pre_vote = false;
    });
    int ticks = 0;
    while (c.node(1).role() == Role::kFollower && ticks < 100) {
      c.tick(1);
      ++ticks;
    }
    EXPECT_GE(ticks, 10) << "seed " << seed;
    EXPECT_LT(ticks, 20) << "seed " << seed;
  }
}

// Raft persists currentTerm and votedFor before answering a vote request; a candidate's
// vote for itself is no different. A single voter therefore becomes leader only when the
// batch carrying its new term and vote is advanced, never on an unsynced vote.
TEST(Election, ACandidateCountsItsOwnVoteOnlyOnceDurable) {
  Cluster c(1);
  c.node(1).campaign();
  EXPECT_EQ(c.node(1).role(), Role::kCandidate) << "its vote for itself is not durable yet";
  Ready rd = c.node(1).ready();
  ASSERT_TRUE(rd.hard_state);
  EXPECT_EQ(rd.hard_state->vote, 1u);
  c.storage(1).set_hard_state(*rd.hard_state);
  c.node(1).advance(rd);
  EXPECT_EQ(c.node(1).role(), Role::kLeader);
}

}  // namespace
}  // namespace raftkv::raft::test
