// The simulator on the real durable log (DurableDisk): the disk itself keeps what was synced
// through every crash mode and stops on write faults; whole runs pass every check; and a
// log that skips its fsyncs is caught, by the direct durability check and by Raft's checks.
#include "sim/durable_disk.h"

#include <gtest/gtest.h>

#include "sim/seed_sweep.h"

namespace raftkv::sim {
namespace {

std::vector<raft::Entry> entries(raft::Index from, raft::Index to, raft::Term term) {
  std::vector<raft::Entry> out;
  for (raft::Index i = from; i <= to; ++i) {
    out.push_back(raft::Entry{term, i, raft::EntryType::kNormal, "e" + std::to_string(i)});
  }
  return out;
}

// Crashes with a write in flight, in every mode the seed can pick: what was synced before
// always comes back, and of the interrupted write at most its prefix.
TEST(DurableDisk, SyncedWritesSurviveEveryCrash) {
  Rng rng(7);
  for (int round = 0; round < 200; ++round) {
    DurableDisk disk(raft::ConfState{{1, 2, 3}, {}, {}}, 100 + round, {});
    disk.write_entries(entries(1, 20, 1));
    disk.write_hard_state({1, 1, 5});
    ASSERT_TRUE(disk.sync());
    disk.write_entries(entries(15, 40, 2));  // overwrites 15..20
    disk.write_hard_state({2, 2, 10});
    disk.crash(rng);  // interrupted
    std::string error;
    ASSERT_TRUE(disk.recover(&error)) << error;
    raft::Storage& s = disk.storage();
    EXPECT_GE(s.last_index(), 14u);
    for (raft::Index i = 1; i <= 14; ++i) EXPECT_EQ(*s.term(i), 1u);
    raft::HardState hs = disk.hard_state();
    EXPECT_TRUE(hs == raft::HardState({1, 1, 5}) || hs == raft::HardState({2, 2, 10}));
    EXPECT_EQ(disk.storage().initial_state().conf.voters, (std::vector<raft::NodeId>{1, 2, 3}));
  }
}

// A failed fsync or a full disk: sync() says so, and after the crash that follows nothing
// of the failed write is treated as durable while everything before it is back.
TEST(DurableDisk, WriteFaultsFailTheSyncAndLoseOnlyThatWrite) {
  Rng rng(3);
  int failed = 0;
  for (int round = 0; round < 100; ++round) {
    DurableDisk disk(raft::ConfState{{1}, {}, {}}, 500 + round, {});
    disk.write_entries(entries(1, 10, 1));
    ASSERT_TRUE(disk.sync());
    ASSERT_FALSE(disk.inject_write_fault(rng).empty());
    disk.write_entries(entries(11, 400, 1));  // bigger than any room left on a full disk
    if (!disk.sync()) {
      ++failed;
      EXPECT_FALSE(disk.error().empty());
      EXPECT_EQ(disk.storage().last_index(), 10u) << "a failed write became visible";
    }
    disk.crash(rng);
    std::string error;
    ASSERT_TRUE(disk.recover(&error)) << error;
    EXPECT_GE(disk.storage().last_index(), 10u);
    disk.clear_write_faults();
    disk.write_entries(entries(disk.storage().last_index() + 1, 500, 2));
    EXPECT_TRUE(disk.sync()) << disk.error();
  }
  EXPECT_EQ(failed, 100);
}

TEST(DurableDisk, SkippedFsyncIsCaughtAtRecovery) {
  Rng rng(1);
  int caught = 0;
  for (int round = 0; round < 20; ++round) {
    DurableDisk disk(raft::ConfState{{1}, {}, {}}, 900 + round, {.skip_fsync = true});
    disk.write_entries(entries(1, 10, 1));
    disk.write_hard_state({1, 1, 10});
    ASSERT_TRUE(disk.sync());
    disk.crash(rng);
    std::string error;
    if (!disk.recover(&error)) ++caught;
  }
  // Only a torn-last-write crash that happens to keep nearly everything can hide it.
  EXPECT_GE(caught, 10);
}

struct DurableSweep {
  int nodes;
  uint64_t seeds;
  bool aggressive;
};

std::string sweep_name(const testing::TestParamInfo<DurableSweep>& info) {
  return std::to_string(info.param.nodes) + "Nodes" +
         (info.param.aggressive ? "Aggressive" : "Default");
}

SimOptions durable_options(const DurableSweep& s) {
  SimOptions o = s.aggressive ? aggressive_options(s.nodes) : SimOptions{};
  o.nodes = s.nodes;
  o.disk_kind = DiskKind::kDurable;
  o.faults.disk_faults = true;
  return o;
}

class DurableDiskSimSeeds : public testing::TestWithParam<DurableSweep> {};

TEST_P(DurableDiskSimSeeds, RealCoreAndLogPassEveryCheck) {
  expect_seeds_pass(durable_options(GetParam()), GetParam().seeds);
}

INSTANTIATE_TEST_SUITE_P(Sweeps, DurableDiskSimSeeds,
                         testing::Values(DurableSweep{3, 200, false}, DurableSweep{5, 100, false},
                                         DurableSweep{3, 200, true}, DurableSweep{5, 120, true}),
                         sweep_name);

// The injected bug: the log's fsyncs do nothing. Caught within a few seeds by the direct
// check, and, with that check off, by Raft's own checks (lost votes and entries break
// election safety or leader completeness); the real log passes the same seeds.
struct FsyncCase {
  int nodes;
  bool verify;
  uint64_t max_seeds;
};

class DurableDiskInjectedBugs : public testing::TestWithParam<FsyncCase> {};

TEST_P(DurableDiskInjectedBugs, SkippedFsyncIsCaught) {
  RAFTKV_HUNT_IN_RELEASE_ONLY();
  const FsyncCase& c = GetParam();
  SimOptions options = aggressive_options(c.nodes);
  options.disk_kind = DiskKind::kDurable;
  options.durable.verify_recovery = c.verify;
  options.bug = InjectedBug::kSkipFsync;
  std::optional<SimResult> caught = first_failure(options, c.max_seeds);
  ASSERT_TRUE(caught) << "skip_fsync went unnoticed for " << c.max_seeds << " seeds";
  std::cout << "skip_fsync: caught at seed " << caught->seed << " (" << caught->violation->property
            << ": " << caught->violation->detail << ")\n";
  if (!c.verify) {
    EXPECT_NE(caught->violation->property, "durability") << "Raft's checks should catch it";
  }
  options.bug = InjectedBug::kNone;
  std::optional<SimResult> real = first_failure(options, caught->seed);
  EXPECT_FALSE(real) << "the real log fails a seed the bug hunt used:\n" << real->report();
}

INSTANTIATE_TEST_SUITE_P(Bugs, DurableDiskInjectedBugs,
                         testing::Values(FsyncCase{3, true, 10}, FsyncCase{5, true, 10},
                                         FsyncCase{3, false, 50}, FsyncCase{5, false, 50}),
                         [](const testing::TestParamInfo<FsyncCase>& info) {
                           return std::to_string(info.param.nodes) + "Nodes" +
                                  (info.param.verify ? "DurabilityCheck" : "RaftChecks");
                         });

}  // namespace
}  // namespace raftkv::sim
