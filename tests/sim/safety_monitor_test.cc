// The monitor itself: each property, violated on purpose, must be reported.
#include "sim/safety_monitor.h"

#include <gtest/gtest.h>

#include <memory>

namespace raftkv::sim {
namespace {

// A single-voter node that elects itself at once: an easy way to get a leader of term 1.
struct SoloNode {
  raft::MemoryStorage storage;
  std::unique_ptr<raft::Node> node;

  explicit SoloNode(raft::NodeId id) {
    storage.set_conf_state(raft::ConfState{{id}, {}, {}});
    raft::Config c;
    c.id = id;
    node = std::make_unique<raft::Node>(c, &storage);
    node->campaign();
    drain();
  }
  void drain() {
    while (node->has_ready()) {
      raft::Ready rd = node->ready();
      storage.append(rd.entries);
      if (rd.hard_state) storage.set_hard_state(*rd.hard_state);
      node->advance(rd);
    }
  }
};

raft::Entry entry(raft::Index i, raft::Term t, std::string data) {
  return raft::Entry{t, i, raft::EntryType::kNormal, std::move(data)};
}

TEST(SafetyMonitor, QuietClusterIsFine) {
  SoloNode a(1);
  SafetyMonitor m(2);
  m.observe({a.node.get(), nullptr});
  EXPECT_FALSE(m.failed());
  EXPECT_EQ(m.leaders().at(1), 1u);
}

TEST(SafetyMonitor, ReportsTwoLeadersInOneTerm) {
  SoloNode a(1), b(2);
  ASSERT_EQ(a.node->term(), b.node->term());
  SafetyMonitor m(2);
  m.observe({a.node.get(), b.node.get()});
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "election safety");
}

TEST(SafetyMonitor, ReportsACommitIndexBelowThePersistedOne) {
  SoloNode a(1);
  SafetyMonitor m(1);
  m.on_restart(1, raft::HardState{1, 1, raft::testing::internals(*a.node).log().committed() + 5});
  m.observe({a.node.get()});
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "commit monotonicity");
}

TEST(SafetyMonitor, ReportsEntriesThatBreakLogMatching) {
  raft::MemoryStorage s;
  SafetyMonitor m(2);
  m.on_persisted(1, {entry(1, 1, "a"), entry(2, 1, "b")}, s);
  m.on_persisted(2, {entry(1, 1, "a"), entry(2, 1, "b")}, s);
  EXPECT_FALSE(m.failed());
  m.on_persisted(2, {entry(2, 1, "different")}, s);
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "log matching");
}

TEST(SafetyMonitor, ReportsDifferentEntriesAppliedAtOneIndex) {
  SafetyMonitor m(2);
  m.on_applied(1, entry(1, 1, "a"), 7);
  m.on_applied(2, entry(1, 2, "b"), 7);
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "state-machine safety");
}

TEST(SafetyMonitor, ReportsDivergentStatesAtOneIndex) {
  SafetyMonitor m(2);
  m.on_applied(1, entry(1, 1, "a"), 7);
  m.on_applied(2, entry(1, 1, "a"), 8);
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "state agreement");
}

TEST(SafetyMonitor, ReportsAReadServedBeforeItsIndexApplied) {
  SafetyMonitor m(1);
  m.on_read_served(1, raft::ReadState{5, "ctx"}, 4);
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "read safety");
}

TEST(SafetyMonitor, ReportsALeaderMissingACommittedEntry) {
  // Node 1 commits entry 1 (its no-op) in term 1; a leader of a later term without it
  // breaks leader completeness.
  SoloNode a(1);
  ASSERT_GE(raft::testing::internals(*a.node).log().committed(), 1u);
  SafetyMonitor m(2);
  m.observe({a.node.get(), nullptr});
  // Node 2: a single-voter node pushed to term 3 with an empty log, then elected.
  raft::MemoryStorage s;
  s.set_conf_state(raft::ConfState{{2}, {}, {}});
  s.set_hard_state(raft::HardState{2, raft::kNoNode, 0});
  raft::Config c;
  c.id = 2;
  raft::Node b(c, &s);
  b.campaign();
  // It counts its own vote once the new term and vote are durable.
  raft::Ready rd = b.ready();
  ASSERT_TRUE(rd.hard_state);
  s.set_hard_state(*rd.hard_state);
  b.advance(rd);
  ASSERT_EQ(b.role(), raft::Role::kLeader);
  ASSERT_EQ(b.term(), 3u);
  // Its no-op at index 1 has term 3: not the committed 1/1.
  m.observe({nullptr, &b});
  ASSERT_TRUE(m.failed());
  EXPECT_EQ(m.violation()->property, "leader completeness");
}

}  // namespace
}  // namespace raftkv::sim
