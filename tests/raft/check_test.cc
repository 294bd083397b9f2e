// The core's invariants are fail-stop checks in every build (raft/check.h): a node that
// would break one stops with a clear message. Death tests show that each check fires.
#include <gtest/gtest.h>

#include <climits>

#include "harness.h"
#include "raft/raft_log.h"

namespace raftkv::raft {

// A friend of Raft (raft.h): reads and sets private counters.
class NodeTestPeer {
 public:
  static int& election_elapsed(Node& n) { return testing::internals(n).election_elapsed_; }
};

namespace test {
namespace {

TEST(CheckDeathTest, AnAppendNeverTruncatesACommittedEntry) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  ASSERT_TRUE(log.maybe_append(0, 0, entries_with_terms({1, 1, 1}), 1));
  log.commit_to(3);
  EXPECT_DEATH(log.maybe_append(1, 1, {Entry{2, 2, EntryType::kNormal, ""}}, 2),
               "invariant violated.*truncate a committed entry");
}

TEST(CheckDeathTest, CommitNeverPassesTheLogAndApplyNeverPassesCommit) {
  MemoryStorage storage;
  RaftLog log(&storage, UINT64_MAX);
  log.append(entries_with_terms({1, 1}));
  EXPECT_DEATH(log.commit_to(3), "commit index beyond the last log index");
  log.commit_to(1);
  EXPECT_DEATH(log.applied_to(2), "applied beyond the commit index");
}

TEST(CheckDeathTest, AFailedStorageReadOnTheApplyPathStops) {
  // Storage that has lost entries the log says are there: committed, so due for applying.
  class LossyStorage : public MemoryStorage {
   public:
    StorageResult<std::vector<Entry>> entries(Index, Index, uint64_t) const override {
      return StorageError::kUnavailable;
    }
  };
  LossyStorage storage;
  storage.append(entries_with_terms({1, 1}));
  RaftLog log(&storage, UINT64_MAX);
  log.commit_to(2);
  EXPECT_DEATH(log.next_committed_entries(), "cannot read committed entries");
}

TEST(CheckDeathTest, AnInvalidConfigStopsTheNode) {
  MemoryStorage storage;
  Config c;
  c.id = 1;
  c.election_tick = 0;  // would divide by zero drawing the election timeout
  EXPECT_DEATH(Node(c, &storage), "election_tick must be positive");
}

// Config::applied is proof of commit: entries the application applied were committed even
// if the lazily written commit index on disk lags. Past the log it is refused.
TEST(Check, AppliedIsProofOfCommit) {
  MemoryStorage storage;
  storage.set_conf_state(ConfState{{1, 2, 3}, {}, {}});
  storage.append(entries_with_terms({1, 1, 1, 1}));
  storage.set_hard_state(HardState{1, kNoNode, 1});
  Config c;
  c.id = 1;
  c.applied = 3;
  Node n(c, &storage);
  EXPECT_EQ(n.status().commit, 3u);
  EXPECT_EQ(n.status().applied, 3u);
  c.applied = 5;
  EXPECT_DEATH(Node(c, &storage), "Config::applied is beyond the log");
}

// A node nobody contacts (here a learner, which never campaigns) ticks forever: the
// election counter saturates instead of overflowing (undefined behaviour for an int).
TEST(Check, TheElectionCounterSaturates) {
  MemoryStorage storage;
  storage.set_conf_state(ConfState{{1}, {}, {2}});
  Config c;
  c.id = 2;
  Node n(c, &storage);
  NodeTestPeer::election_elapsed(n) = INT_MAX - 1;
  for (int i = 0; i < 3; ++i) n.tick();
  EXPECT_EQ(NodeTestPeer::election_elapsed(n), INT_MAX);
  EXPECT_EQ(n.role(), Role::kFollower);
}

}  // namespace
}  // namespace test
}  // namespace raftkv::raft
