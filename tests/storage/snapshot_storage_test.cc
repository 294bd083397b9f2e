// Snapshots kept on disk only (keep_snapshot_data = false), snapshots written by another
// writer and adopted (the server's forked child), and damaged snapshot files at recovery.
#include <gtest/gtest.h>

#include "storage/durable_storage.h"
#include "storage/fault_file_system.h"
#include "storage/snapshot_file.h"
#include "storage_test_util.h"

namespace raftkv::storage {
namespace {

using raft::ConfState;
using raft::HardState;
using raft::Snapshot;
using raft::SnapshotMeta;
using testing::all_entries;
using testing::entries;

class SnapshotStorageTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.create_dir("data")); }

  Status open(std::unique_ptr<DurableStorage>* out, bool keep_data = false) {
    DurableStorageOptions o;
    o.dir = kDir;
    o.segment_bytes = 512;
    o.keep_snapshot_data = keep_data;
    return DurableStorage::open(&fs_, o, out, &report_);
  }

  // A log of entries 1..100 in term 3, spread over many small segments.
  std::unique_ptr<DurableStorage> filled() {
    std::unique_ptr<DurableStorage> s;
    EXPECT_OK(open(&s));
    for (raft::Index i = 1; i <= 100; i += 5) {
      EXPECT_OK(s->save(HardState{3, 1, i + 4}, entries(i, i + 4, 3, 40), std::nullopt));
    }
    return s;
  }

  static constexpr const char* kDir = "data/log";
  const ConfState conf_{{1, 2, 3}, {}, {}};
  FaultFileSystem fs_{7};
  RecoveryReport report_;
};

TEST_F(SnapshotStorageTest, ImageStaysOnDiskAndIsReadBackFromTheFile) {
  auto s = filled();
  ASSERT_OK(s->compact(60, conf_, "state@60"));
  EXPECT_EQ(s->snapshot(), (Snapshot{SnapshotMeta{60, 3, conf_}, ""})) << "metadata only";
  Snapshot full;
  ASSERT_OK(s->read_snapshot(&full));
  EXPECT_EQ(full, (Snapshot{SnapshotMeta{60, 3, conf_}, "state@60"}));
  s.reset();

  std::unique_ptr<DurableStorage> r;
  ASSERT_OK(open(&r));
  EXPECT_TRUE(r->snapshot().data.empty());
  ASSERT_OK(r->read_snapshot(&full));
  EXPECT_EQ(full.data, "state@60");
  EXPECT_EQ(r->first_index(), 61u);
}

TEST_F(SnapshotStorageTest, NoSnapshotReadsAsEmpty) {
  auto s = filled();
  Snapshot snap{SnapshotMeta{9, 9, {}}, "x"};
  ASSERT_OK(s->read_snapshot(&snap));
  EXPECT_TRUE(snap.empty());
}

TEST_F(SnapshotStorageTest, AdoptedSnapshotCompactsLikeCompact) {
  auto s = filled();
  ASSERT_OK(write_snapshot_file(&fs_, kDir, Snapshot{SnapshotMeta{70, 3, conf_}, "image@70"}));
  ASSERT_OK(s->adopt_snapshot(SnapshotMeta{70, 3, conf_}));
  EXPECT_EQ(s->first_index(), 71u);
  EXPECT_EQ(all_entries(*s), entries(71, 100, 3, 40));
  s.reset();

  std::unique_ptr<DurableStorage> r;
  ASSERT_OK(open(&r));
  Snapshot full;
  ASSERT_OK(r->read_snapshot(&full));
  EXPECT_EQ(full, (Snapshot{SnapshotMeta{70, 3, conf_}, "image@70"}));
}

TEST_F(SnapshotStorageTest, AdoptRefusesAnIndexAlreadyCompactedOrWithAnotherTerm) {
  auto s = filled();
  ASSERT_OK(s->compact(80, conf_, "state@80"));
  EXPECT_EQ(s->adopt_snapshot(SnapshotMeta{70, 3, conf_}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->adopt_snapshot(SnapshotMeta{90, 2, conf_}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s->first_index(), 81u) << "nothing changed";
  EXPECT_OK(s->health());
}

TEST_F(SnapshotStorageTest, InstalledSnapshotKeepsOnlyMetadataInMemory) {
  auto s = filled();
  Snapshot snap{SnapshotMeta{500, 7, conf_}, "leader-image"};
  ASSERT_OK(s->save(HardState{7, 0, 500}, {}, snap));
  EXPECT_TRUE(s->snapshot().data.empty());
  Snapshot full;
  ASSERT_OK(s->read_snapshot(&full));
  EXPECT_EQ(full, snap);
}

// A damaged snapshot must never turn into a node with an empty state: recovery refuses,
// naming the file, whichever byte of it is damaged.
TEST_F(SnapshotStorageTest, DamagedSnapshotFileIsRefusedWithItsName) {
  auto s = filled();
  ASSERT_OK(s->compact(60, conf_, std::string(200, 'k')));
  s.reset();
  const std::string path = std::string(kDir) + "/" + snapshot_file_name(60);
  const std::string original = fs_.contents(path);
  for (size_t off = 0; off < original.size(); off += 7) {
    std::string damaged = original;
    damaged[off] = static_cast<char>(damaged[off] ^ 0x10);
    fs_.set_contents(path, damaged);
    std::unique_ptr<DurableStorage> r;
    Status st = open(&r);
    ASSERT_EQ(st.code(), StatusCode::kCorruption) << "byte " << off;
    EXPECT_NE(st.message().find(snapshot_file_name(60)), std::string::npos) << st.to_string();
  }
  fs_.set_contents(path, original.substr(0, original.size() / 2));
  std::unique_ptr<DurableStorage> r;
  EXPECT_EQ(open(&r).code(), StatusCode::kCorruption) << "truncated";
  fs_.set_contents(path, original);
  EXPECT_OK(open(&r));
}

}  // namespace
}  // namespace raftkv::storage
