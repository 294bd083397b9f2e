// DurableStorage's behaviour without crashes: what is saved reads back, and reopening
// yields the same log, hard state and snapshot.
#include "storage/durable_storage.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "proto/codec.h"
#include "storage/fault_file_system.h"
#include "storage/posix_file_system.h"
#include "storage/snapshot_file.h"
#include "storage/wal.h"
#include "storage_test_util.h"

namespace raftkv::storage {
namespace {

using raft::ConfState;
using raft::Entry;
using raft::HardState;
using raft::Snapshot;
using raft::SnapshotMeta;
using testing::all_entries;
using testing::entries;
using testing::entry;

class DurableStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.create_dir("data")); }

  std::unique_ptr<DurableStorage> open(uint64_t segment_bytes = 1 << 20) {
    options_.dir = "data/log";
    options_.segment_bytes = segment_bytes;
    std::unique_ptr<DurableStorage> s;
    Status st = DurableStorage::open(&fs_, options_, &s, &report_);
    EXPECT_TRUE(st.ok()) << st.to_string();
    return s;
  }

  size_t segment_count() {
    std::vector<std::string> names;
    EXPECT_OK(fs_.list_dir("data/log", &names));
    return static_cast<size_t>(std::count_if(names.begin(), names.end(), [](const auto& n) {
      return n.size() > 4 && n.substr(n.size() - 4) == ".wal";
    }));
  }

  FaultFileSystem fs_{1};
  DurableStorageOptions options_;
  RecoveryReport report_;
};

TEST_F(DurableStorageTest, FreshStorageIsEmpty) {
  auto s = open();
  EXPECT_EQ(s->first_index(), 1u);
  EXPECT_EQ(s->last_index(), 0u);
  EXPECT_EQ(*s->term(0), 0u);
  EXPECT_TRUE(s->initial_state().hard_state.empty());
  EXPECT_TRUE(s->snapshot().empty());
}

TEST_F(DurableStorageTest, SavedStateReadsBackAndSurvivesReopen) {
  auto s = open();
  HardState hs{2, 1, 3};
  ASSERT_OK(s->save(hs, entries(1, 5, 2), std::nullopt));
  auto check = [&](const DurableStorage& st) {
    EXPECT_EQ(st.first_index(), 1u);
    EXPECT_EQ(st.last_index(), 5u);
    EXPECT_EQ(*st.term(5), 2u);
    EXPECT_EQ(st.initial_state().hard_state, hs);
    EXPECT_EQ(all_entries(st), entries(1, 5, 2));
  };
  check(*s);
  s.reset();
  check(*open());
}

TEST_F(DurableStorageTest, ReadErrorsMatchMemoryStorage) {
  auto s = open();
  ASSERT_OK(s->save(std::nullopt, entries(1, 10, 1), std::nullopt));
  ASSERT_OK(s->compact(4, ConfState{{1}, {}, {}}, "img"));
  EXPECT_EQ(s->entries(4, 6, UINT64_MAX).error(), raft::StorageError::kCompacted);
  EXPECT_EQ(s->entries(5, 12, UINT64_MAX).error(), raft::StorageError::kUnavailable);
  EXPECT_EQ(s->term(3).error(), raft::StorageError::kCompacted);
  EXPECT_EQ(*s->term(4), 1u);
  EXPECT_EQ(s->term(11).error(), raft::StorageError::kUnavailable);
  EXPECT_EQ(s->entries(5, 11, 1)->size(), 1u) << "max_bytes still returns one entry";
}

TEST_F(DurableStorageTest, ConflictingSuffixIsOverwritten) {
  auto s = open();
  ASSERT_OK(s->save(std::nullopt, entries(1, 10, 1), std::nullopt));
  ASSERT_OK(s->save(std::nullopt, entries(6, 7, 2), std::nullopt));
  auto expected = entries(1, 5, 1);
  for (auto& e : entries(6, 7, 2)) expected.push_back(e);
  EXPECT_EQ(all_entries(*s), expected);
  s.reset();
  EXPECT_EQ(all_entries(*open()), expected);
}

TEST_F(DurableStorageTest, SegmentsRollOverAndOverwriteCrossesTheBoundary) {
  auto s = open(/*segment_bytes=*/512);
  for (raft::Index i = 1; i <= 40; i += 4) {
    ASSERT_OK(s->save(HardState{1, 1, i}, entries(i, i + 3, 1, 50), std::nullopt));
  }
  ASSERT_GT(segment_count(), 3u);
  // Overwrite from index 10, which lies in an older segment than the current one.
  ASSERT_OK(s->save(HardState{2, 2, 9}, entries(10, 12, 2, 50), std::nullopt));
  auto expected = entries(1, 9, 1, 50);
  for (auto& e : entries(10, 12, 2, 50)) expected.push_back(e);
  EXPECT_EQ(all_entries(*s), expected);
  s.reset();
  auto r = open(512);
  EXPECT_EQ(all_entries(*r), expected);
  EXPECT_EQ(r->hard_state(), (HardState{2, 2, 9}));
}

TEST_F(DurableStorageTest, CompactionRemovesWholeSegmentsAndSurvivesReopen) {
  auto s = open(/*segment_bytes=*/512);
  for (raft::Index i = 1; i <= 100; i += 5) {
    ASSERT_OK(s->save(HardState{3, 1, i + 4}, entries(i, i + 4, 3, 40), std::nullopt));
  }
  size_t before = segment_count();
  ConfState conf{{1, 2, 3}, {}, {}};
  ASSERT_OK(s->compact(60, conf, "state@60"));
  EXPECT_LT(segment_count(), before);
  EXPECT_EQ(s->first_index(), 61u);
  EXPECT_EQ(*s->term(60), 3u);
  EXPECT_EQ(s->snapshot().data, "state@60");
  ASSERT_OK(s->compact(80, conf, "state@80"));
  EXPECT_FALSE(fs_.exists("data/log/" + snapshot_file_name(60))) << "old snapshot removed";
  s.reset();

  auto r = open(512);
  EXPECT_EQ(r->first_index(), 81u);
  EXPECT_EQ(r->last_index(), 100u);
  EXPECT_EQ(*r->term(80), 3u);
  EXPECT_EQ(r->snapshot(), (Snapshot{SnapshotMeta{80, 3, conf}, "state@80"}));
  EXPECT_EQ(all_entries(*r), entries(81, 100, 3, 40));
  EXPECT_EQ(r->hard_state(), (HardState{3, 1, 100}));
  EXPECT_EQ(r->initial_state().conf, conf);
}

// Compaction deletes segments that held overwritten entries; recovery must not mistake the
// missing range for a lost segment, and must keep the overwrite.
TEST_F(DurableStorageTest, CompactionAfterOverwriteInLaterSegment) {
  auto s = open(/*segment_bytes=*/300);
  ASSERT_OK(s->save(std::nullopt, entries(1, 20, 1, 40), std::nullopt));
  ASSERT_OK(s->save(std::nullopt, entries(21, 25, 1, 40), std::nullopt));  // new segment
  ASSERT_OK(s->save(std::nullopt, entries(15, 30, 2, 40), std::nullopt));  // overwrite
  ASSERT_OK(s->save(std::nullopt, entries(31, 32, 2, 40), std::nullopt));
  ASSERT_OK(s->compact(26, ConfState{{1}, {}, {}}, "img"));
  auto expected = all_entries(*s);
  s.reset();
  auto r = open(300);
  EXPECT_EQ(all_entries(*r), expected);
  EXPECT_EQ(r->first_index(), 27u);
}

TEST_F(DurableStorageTest, InstalledSnapshotReplacesTheLog) {
  auto s = open();
  ASSERT_OK(s->save(HardState{1, 1, 3}, entries(1, 10, 1), std::nullopt));
  Snapshot snap{SnapshotMeta{50, 4, ConfState{{1, 2}, {}, {}}}, "leader-state"};
  ASSERT_OK(s->save(HardState{4, 0, 50}, entries(51, 52, 4), snap));
  auto check = [&](const DurableStorage& st) {
    EXPECT_EQ(st.first_index(), 51u);
    EXPECT_EQ(st.last_index(), 52u);
    EXPECT_EQ(*st.term(50), 4u);
    EXPECT_EQ(st.snapshot(), snap);
    EXPECT_EQ(st.hard_state(), (HardState{4, 0, 50}));
  };
  check(*s);
  s.reset();
  check(*open());
}

// initial_state().conf is the configuration the log starts from; configuration entries in
// the log are the core's to interpret (they are stored like any other entry).
TEST_F(DurableStorageTest, ConfStateIsTheBootstrapOneAndConfEntriesSurviveAsEntries) {
  auto s = open();
  ConfState boot{{1, 2, 3}, {}, {}};
  ASSERT_OK(s->set_conf_state(boot));
  EXPECT_EQ(s->initial_state().conf, boot);
  Entry cc{1, 2, raft::EntryType::kConfChange, "opaque conf change"};
  ASSERT_OK(s->save(std::nullopt, {entry(1, 1), cc, entry(3, 1)}, std::nullopt));
  EXPECT_EQ(s->initial_state().conf, boot);
  s.reset();
  auto reopened = open();
  EXPECT_EQ(reopened->initial_state().conf, boot);
  auto stored = reopened->entries(2, 3, UINT64_MAX);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->front(), cc);
}

TEST_F(DurableStorageTest, RejectsEntriesAfterAGap) {
  auto s = open();
  ASSERT_OK(s->save(std::nullopt, entries(1, 3, 1), std::nullopt));
  EXPECT_EQ(s->save(std::nullopt, entries(5, 6, 1), std::nullopt).code(),
            StatusCode::kInvalidArgument);
  EXPECT_OK(s->health());  // a caller's mistake does not fail the storage
}

TEST_F(DurableStorageTest, OneSyncPerSave) {
  auto s = open();
  ASSERT_OK(s->save(HardState{1, 1, 0}, entries(1, 1, 1), std::nullopt));  // creates segment
  uint64_t before = fs_.mutating_ops();
  ASSERT_OK(s->save(HardState{1, 1, 1}, entries(2, 257, 1), std::nullopt));
  EXPECT_EQ(fs_.mutating_ops() - before, 2u) << "one append and one fdatasync for 256 entries";
}

// The same operations on the real file system, in a temporary directory.
TEST(DurableStoragePosixTest, SaveCompactReopen) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("raftkv-storage-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  PosixFileSystem fs;
  DurableStorageOptions options{(dir / "log").string(), 4096, false};
  {
    std::unique_ptr<DurableStorage> s;
    ASSERT_OK(DurableStorage::open(&fs, options, &s));
    for (raft::Index i = 1; i <= 200; i += 10) {
      ASSERT_OK(s->save(HardState{1, 1, i}, entries(i, i + 9, 1, 100), std::nullopt));
    }
    ASSERT_OK(s->compact(150, ConfState{{1}, {}, {}}, "img"));
  }
  std::unique_ptr<DurableStorage> s;
  ASSERT_OK(DurableStorage::open(&fs, options, &s));
  EXPECT_EQ(s->first_index(), 151u);
  EXPECT_EQ(all_entries(*s), entries(151, 200, 1, 100));
  EXPECT_EQ(s->hard_state(), (HardState{1, 1, 191}));
  std::filesystem::remove_all(dir);
}

// Byte ranges of `path` the file system holds as reserved but never written ("unwritten"
// extents, FIEMAP_EXTENT_UNWRITTEN); nullopt where FIEMAP is not supported.
std::optional<std::vector<std::pair<uint64_t, uint64_t>>> unwritten_ranges(
    const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return std::nullopt;
  constexpr unsigned kMax = 256;
  std::vector<char> buf(sizeof(fiemap) + kMax * sizeof(fiemap_extent));
  auto* fm = reinterpret_cast<fiemap*>(buf.data());
  fm->fm_start = 0;
  fm->fm_length = FIEMAP_MAX_OFFSET;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = kMax;
  const int rc = ::ioctl(fd, FS_IOC_FIEMAP, fm);
  ::close(fd);
  if (rc != 0) return std::nullopt;
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (unsigned i = 0; i < fm->fm_mapped_extents; ++i) {
    const fiemap_extent& e = fm->fm_extents[i];
    if (e.fe_flags & FIEMAP_EXTENT_UNWRITTEN)
      out.emplace_back(e.fe_logical, e.fe_logical + e.fe_length);
  }
  return out;
}

// The active segment is written with zeros a chunk ahead of its records, so that syncing a
// record never also has to convert reserved space (docs/storage.md); the rest stays merely
// reserved until the records come near it.
TEST(DurableStoragePosixTest, SegmentIsZeroedAheadOfItsRecords) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("raftkv-zero-ahead-test-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  PosixFileSystem fs;
  const uint64_t segment = 8 * kZeroAheadBytes;
  DurableStorageOptions options{(dir / "log").string(), segment, false};
  std::unique_ptr<DurableStorage> s;
  ASSERT_OK(DurableStorage::open(&fs, options, &s));
  ASSERT_OK(s->save(HardState{1, 1, 0}, entries(1, 10, 1, 100), std::nullopt));
  const std::string path = (dir / "log" / segment_name(1)).string();
  auto before = unwritten_ranges(path);
  if (!before) {
    std::filesystem::remove_all(dir);
    GTEST_SKIP() << "no FIEMAP on " << dir;
  }
  auto overlaps = [](const std::vector<std::pair<uint64_t, uint64_t>>& ranges, uint64_t lo,
                     uint64_t hi) {
    for (const auto& [a, b] : ranges) {
      if (a < hi && lo < b) return true;
    }
    return false;
  };
  EXPECT_FALSE(overlaps(*before, 0, kZeroAheadBytes)) << "the first chunk is written";
  EXPECT_TRUE(overlaps(*before, 3 * kZeroAheadBytes, segment)) << "the rest is only reserved";
  // Records crossing into the next chunk bring the zeros along.
  raft::Index next = 11;
  while (next < 11 + 12000) {
    ASSERT_OK(s->save(std::nullopt, entries(next, next + 999, 1, 100), std::nullopt));
    next += 1000;
  }
  auto after = unwritten_ranges(path);
  ASSERT_TRUE(after);
  EXPECT_FALSE(overlaps(*after, 0, 2 * kZeroAheadBytes)) << "records passed 1 MiB";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace raftkv::storage
