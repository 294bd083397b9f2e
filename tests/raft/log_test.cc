// The log's own invariants: log matching, conflict handling, and the storage interface.
#include <gtest/gtest.h>

#include "harness.h"
#include "raft/raft_log.h"

namespace raftkv::raft::test {
namespace {

// "If an existing entry conflicts with a new one (same index but different terms), delete
// the existing entry and all that follow it (§5.3). Append any new entries not already in
// the log."
TEST(RaftLog, MaybeAppendTruncatesOnlyTheConflictingSuffix) {
  struct Case {
    Index prev_index;
    Term prev_term;
    std::vector<std::pair<Index, Term>> incoming;
    bool accepted;
    std::vector<Term> result;
  };
  // Stored log: terms 1,2,3 at indexes 1..3.
  const std::vector<Case> cases = {
      {3, 3, {}, true, {1, 2, 3}},                           // heartbeat-like, matches
      {3, 2, {}, false, {1, 2, 3}},                          // prev term mismatch
      {4, 3, {}, false, {1, 2, 3}},                          // prev beyond the log
      {3, 3, {{4, 4}}, true, {1, 2, 3, 4}},                  // plain append
      {1, 1, {{2, 2}}, true, {1, 2, 3}},                     // duplicate: nothing truncated
      {1, 1, {{2, 2}, {3, 3}, {4, 4}}, true, {1, 2, 3, 4}},  // overlap then new
      {1, 1, {{2, 4}}, true, {1, 4}},                        // conflict at 2: truncate 2..3
      {2, 2, {{3, 4}, {4, 4}}, true, {1, 2, 4, 4}},          // conflict at 3
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& tc = cases[i];
    MemoryStorage storage;
    storage.append(entries_with_terms({1, 2, 3}));
    RaftLog log(&storage, UINT64_MAX);
    std::vector<Entry> incoming;
    for (auto [idx, t] : tc.incoming) incoming.push_back(Entry{t, idx, EntryType::kNormal, ""});
    auto r = log.maybe_append(tc.prev_index, tc.prev_term, incoming, 5);
    EXPECT_EQ(r.has_value(), tc.accepted) << "case " << i;
    std::vector<Term> terms;
    for (Index k = 1; k <= log.last_index(); ++k) terms.push_back(*log.term(k));
    EXPECT_EQ(terms, tc.result) << "case " << i;
  }
}

TEST(RaftLog, FindConflictByTermSkipsWholeTerms) {
  MemoryStorage storage;
  storage.append(entries_with_terms({1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}));  // Figure 7 (f)
  RaftLog log(&storage, UINT64_MAX);
  EXPECT_EQ(log.find_conflict_by_term(10, 6), 10u);
  EXPECT_EQ(log.find_conflict_by_term(10, 2), 6u);
  EXPECT_EQ(log.find_conflict_by_term(10, 1), 3u);
  EXPECT_EQ(log.find_conflict_by_term(10, 0), 0u);
}

TEST(RaftLog, CommittedEntriesStopAtTheStableIndex) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  log.append(entries_with_terms({1, 1}));
  log.commit_to(2);
  EXPECT_FALSE(log.has_next_committed_entries()) << "not yet persisted";
  storage.append(log.unstable_entries());
  log.stable_to(2, 1, 1);
  EXPECT_EQ(log.next_committed_entries().size(), 2u);
}

// Several batches in flight: each hands out only what the earlier ones did not, and an
// entry a new leader overwrites while it is on its way to disk is handed out again.
TEST(RaftLog, BatchesInFlightHandOutEachEntryOnceUnlessOverwritten) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  ASSERT_TRUE(log.maybe_append(0, 0, entries_with_terms({1, 1, 1}), 1));
  std::vector<Entry> first = log.entries_to_persist();
  ASSERT_EQ(first.size(), 3u);
  log.accept_unstable();
  EXPECT_FALSE(log.has_entries_to_persist());
  EXPECT_TRUE(log.entries_to_persist().empty());

  // A new leader (term 2) overwrites index 3 while batch 1 is still being written.
  ASSERT_TRUE(log.maybe_append(2, 1, {Entry{2, 3, EntryType::kNormal, "new"}}, 2));
  std::vector<Entry> second = log.entries_to_persist();
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].index, 3u);
  EXPECT_EQ(second[0].term, 2u);
  log.accept_unstable();

  // Batch 1 completes: its last entry (3, term 1) is gone, so nothing is marked stable yet.
  storage.append(first);
  log.stable_to(3, 1, 1);
  EXPECT_EQ(log.stable_last_index(), 0u);
  // Batch 2 completes.
  storage.append(second);
  log.stable_to(3, 2, 2);
  EXPECT_EQ(log.stable_last_index(), 3u);
  EXPECT_EQ(*log.term(3), 2u);
  EXPECT_FALSE(log.has_entries_to_persist());
}

// A -> B -> A: an index is overwritten by a newer leader and then re-appended with its
// original entry while the first copy's batch is on disk. That batch's (index, term) still
// matches, but the stored entry is B's (the later batch overwrote it), so the batch must
// not mark A as persisted: the accepted term changed since it was handed out.
TEST(RaftLog, ABAOverwriteIsNotTakenAsPersisted) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  const Entry a{2, 1, EntryType::kNormal, "a"};
  ASSERT_TRUE(log.maybe_append(0, 0, {a}, 2));
  std::vector<Entry> first = log.entries_to_persist();
  const Term first_accepted = log.accepted_term();
  log.accept_unstable();
  ASSERT_TRUE(log.maybe_append(0, 0, {Entry{3, 1, EntryType::kNormal, "b"}}, 3));
  std::vector<Entry> second = log.entries_to_persist();
  const Term second_accepted = log.accepted_term();
  log.accept_unstable();
  ASSERT_TRUE(log.maybe_append(0, 0, {a, Entry{4, 2, EntryType::kNormal, "c"}}, 4));
  EXPECT_EQ(log.accepted_term(), 4u);

  storage.append(first);
  log.stable_to(1, 2, first_accepted);
  EXPECT_EQ(log.stable_last_index(), 0u) << "A's copy was overwritten by B's batch";
  storage.append(second);
  log.stable_to(1, 3, second_accepted);
  std::vector<Entry> third = log.entries_to_persist();
  ASSERT_EQ(third.size(), 2u) << "A is due again";
  EXPECT_EQ(third[0], a);
  storage.append(third);
  log.stable_to(2, 4, log.accepted_term());
  EXPECT_EQ(log.stable_last_index(), 2u);
  EXPECT_EQ(*storage.term(1), 2u);
}

TEST(RaftLog, CommittedEntriesAreHandedOutOnceWhileBeingApplied) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  log.append(entries_with_terms({1, 1}));
  storage.append(log.unstable_entries());
  log.stable_to(2, 1, 1);
  log.commit_to(2);
  auto batch = log.next_committed_entries();
  ASSERT_EQ(batch.size(), 2u);
  log.accept_applying(2);
  EXPECT_FALSE(log.has_next_committed_entries()) << "already handed out, not yet applied";
  EXPECT_EQ(log.applied(), 0u);
  EXPECT_EQ(log.applying(), 2u);
  log.applied_to(2);
  EXPECT_EQ(log.applied(), 2u);
}

TEST(MemoryStorage, CompactionKeepsTermOfTheSnapshotIndex) {
  MemoryStorage s;
  s.append(entries_with_terms({1, 1, 2, 3}));
  EXPECT_FALSE(s.compact(2, ConfState{{1}, {}, {}}, "img"));
  EXPECT_EQ(s.first_index(), 3u);
  EXPECT_EQ(s.last_index(), 4u);
  EXPECT_EQ(*s.term(2), 1u);
  EXPECT_FALSE(s.term(1).ok());
  EXPECT_EQ(s.term(1).error(), StorageError::kCompacted);
  EXPECT_EQ(s.entries(2, 4, UINT64_MAX).error(), StorageError::kCompacted);
  EXPECT_EQ(s.entries(3, 5, UINT64_MAX)->size(), 2u);
  EXPECT_EQ(s.snapshot().meta.index, 2u);
  // A restart starts from the snapshot's configuration, not the bootstrap one.
  EXPECT_EQ(s.initial_state().conf, (ConfState{{1}, {}, {}}));
  EXPECT_EQ(s.compact(2, {}, "").value(), StorageError::kCompacted);
  EXPECT_EQ(s.compact(9, {}, "").value(), StorageError::kUnavailable);
}

TEST(MemoryStorage, CompactionCanHandTheDroppedEntriesToTheCaller) {
  MemoryStorage kept_in_place, handed_out;
  for (MemoryStorage* s : {&kept_in_place, &handed_out}) {
    auto ents = entries_with_terms({1, 1, 2, 3, 3});
    for (Entry& e : ents) e.data = "d" + std::to_string(e.index);
    s->append(ents);
  }
  std::deque<Entry> removed;
  EXPECT_FALSE(kept_in_place.compact(3, ConfState{{1}, {}, {}}, "img"));
  EXPECT_FALSE(handed_out.compact(3, ConfState{{1}, {}, {}}, "img", &removed));
  // The same log either way...
  for (const MemoryStorage* s : {&kept_in_place, &handed_out}) {
    EXPECT_EQ(s->first_index(), 4u);
    EXPECT_EQ(s->last_index(), 5u);
    EXPECT_EQ(*s->term(3), 2u);
    auto rest = s->entries(4, 6, UINT64_MAX);
    ASSERT_TRUE(rest.ok());
    ASSERT_EQ(rest->size(), 2u);
    EXPECT_EQ((*rest)[0].data, "d4");
    EXPECT_EQ((*rest)[1].data, "d5");
  }
  // ...and the caller holds exactly the dropped entries (the old sentinel, 1 and 2).
  std::vector<Index> indexes;
  for (const Entry& e : removed) indexes.push_back(e.index);
  EXPECT_EQ(indexes, (std::vector<Index>{0, 1, 2}));
  EXPECT_EQ(removed[1].data, "d1");
  EXPECT_EQ(removed[2].data, "d2");
  // Further appends and compactions go on normally.
  handed_out.append(std::vector<Entry>{Entry{3, 6, EntryType::kNormal, "d6"}});
  EXPECT_EQ(handed_out.last_index(), 6u);
  EXPECT_FALSE(handed_out.compact(5, ConfState{{1}, {}, {}}, "img2", &removed));
  EXPECT_EQ(handed_out.first_index(), 6u);
}

}  // namespace
}  // namespace raftkv::raft::test
