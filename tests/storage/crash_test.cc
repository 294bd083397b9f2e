// Crashes at every point of an operation sequence, damaged files, a full disk and failed
// fsyncs. After each, recovery must yield exactly what was acknowledged (plus, at most, part
// of the operation in flight) or refuse to start with a clear error.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "crash_model.h"
#include "storage/checksum.h"
#include "storage/endian.h"
#include "storage/fault_file_system.h"
#include "storage/file_names.h"
#include "storage/record.h"
#include "storage_test_util.h"

namespace raftkv::storage {
namespace {

using raft::ConfState;
using raft::HardState;
using raft::Snapshot;
using raft::SnapshotMeta;
using testing::crash_outcomes;
using testing::entries;
using testing::Op;

constexpr const char* kDir = "log";
constexpr uint64_t kSmallSegments = 400;  // forces rollovers within the workload

DurableStorageOptions options(bool repair = false) {
  return DurableStorageOptions{kDir, kSmallSegments, repair};
}

// Exercises every kind of record, segment rollover, overwrite across segments, compaction
// (deleting segments) and snapshot installation.
std::vector<Op> workload() {
  return {
      testing::set_conf(ConfState{{1, 2, 3}, {}, {}}),
      testing::save(HardState{1, 1, 0}, entries(1, 3, 1)),
      testing::save(HardState{1, 1, 3}, entries(4, 8, 1, 30)),
      testing::save(std::nullopt, entries(9, 12, 1, 60)),
      testing::save(HardState{2, 2, 5}, entries(7, 10, 2, 20)),
      testing::compact(6, "image@6"),
      testing::save(HardState{2, 2, 10}, entries(11, 15, 2, 40)),
      testing::save(HardState{3, 0, 20}, entries(21, 22, 3),
                    Snapshot{SnapshotMeta{20, 3, ConfState{{1, 2}, {}, {}}}, "leader@20"}),
      testing::save(std::nullopt, entries(23, 30, 3, 50)),
      testing::compact(25, "image@25"),
      testing::save(HardState{4, 4, 30}, entries(31, 31, 4)),
  };
}

struct CrashRun {
  raft::MemoryStorage acked;    // state acknowledged before the crash
  std::optional<Op> in_flight;  // the operation the crash interrupted
  bool completed = false;       // the whole workload ran without reaching the crash
};

// Runs the workload on fs until an operation fails.
CrashRun run_until_failure(FaultFileSystem* fs, const std::vector<Op>& ops) {
  CrashRun run;
  std::unique_ptr<DurableStorage> s;
  if (!DurableStorage::open(fs, options(), &s).ok()) return run;
  for (const Op& op : ops) {
    if (!testing::run(s.get(), op).ok()) {
      run.in_flight = op;
      return run;
    }
    run.acked = testing::applied(run.acked, op);
  }
  run.completed = true;
  return run;
}

// Reopens after a crash and checks the recovered state is one the crash may leave; then
// checks the recovered storage accepts writes and survives another reopen.
void check_recovery(FaultFileSystem* fs, const CrashRun& run, const std::string& where) {
  std::unique_ptr<DurableStorage> s;
  RecoveryReport report;
  Status st = DurableStorage::open(fs, options(), &s, &report);
  ASSERT_TRUE(st.ok()) << where << ": recovery failed: " << st.to_string();
  std::vector<raft::MemoryStorage> allowed{run.acked};
  if (run.in_flight) allowed = crash_outcomes(run.acked, *run.in_flight);
  std::string diffs;
  bool match = false;
  for (const raft::MemoryStorage& m : allowed) {
    std::string d = testing::diff(*s, m);
    if (d.empty()) match = true;
    diffs += "\n  " + d;
  }
  ASSERT_TRUE(match) << where << ": recovered state is none of the allowed outcomes:" << diffs;

  raft::Index next = s->last_index() + 1;
  raft::Term term = s->hard_state().term + 10;
  ASSERT_OK(s->save(HardState{term, 0, 0}, entries(next, next + 1, term), std::nullopt));
  auto expected = testing::all_entries(*s);
  s.reset();
  ASSERT_OK(DurableStorage::open(fs, options(), &s));
  EXPECT_EQ(testing::all_entries(*s), expected) << where << ": lost data after recovery";
}

class CrashAtEveryOperationTest : public ::testing::TestWithParam<CrashMode> {};

TEST_P(CrashAtEveryOperationTest, RecoveryYieldsAcknowledgedState) {
  const std::vector<Op> ops = workload();
  for (uint64_t n = 0;; ++n) {
    FaultFileSystem fs(n);
    fs.crash_after(n);
    CrashRun run = run_until_failure(&fs, ops);
    if (run.completed) {
      EXPECT_GT(n, 30u) << "the workload should involve many file operations";
      break;
    }
    std::string where = "crash after " + std::to_string(n) + " file operations, during " +
                        (run.in_flight ? run.in_flight->describe() : "open");
    fs.crash(GetParam());
    check_recovery(&fs, run, where);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, CrashAtEveryOperationTest,
                         ::testing::Values(CrashMode::kLoseUnsynced, CrashMode::kTornLastWrite,
                                           CrashMode::kRandom),
                         [](const auto& info) {
                           switch (info.param) {
                             case CrashMode::kLoseUnsynced:
                               return "LoseUnsynced";
                             case CrashMode::kTornLastWrite:
                               return "TornLastWrite";
                             case CrashMode::kRandom:
                               return "Random";
                           }
                           return "Unknown";
                         });

// Random workloads, crash points and crash modes, several crashes in a row on one disk.
TEST(RandomCrashTest, RepeatedCrashesNeverLoseAcknowledgedState) {
  std::mt19937_64 rng(testing::test_seed());
  for (int round = 0; round < 30; ++round) {
    FaultFileSystem fs(rng());
    raft::MemoryStorage acked;
    for (int crash = 0; crash < 5; ++crash) {
      std::unique_ptr<DurableStorage> s;
      ASSERT_OK(DurableStorage::open(&fs, options(), &s));
      fs.crash_after(rng() % 60);
      CrashRun run;
      run.acked = acked;
      for (int i = 0; i < 12 && !run.in_flight; ++i) {
        raft::Index last = run.acked.last_index();
        raft::Index first = run.acked.first_index();
        Op op;
        if (rng() % 5 == 0 && last >= first) {
          op = testing::compact(first + rng() % (last - first + 1), "img" + std::to_string(i));
        } else {
          // Append, sometimes overwriting a suffix that starts after the first index.
          raft::Index from = last + 1;
          if (rng() % 3 == 0 && last >= first) from = first + rng() % (last - first + 1);
          raft::Term term = run.acked.hard_state().term + 1;
          op = testing::save(HardState{term, 1, run.acked.hard_state().commit},
                             entries(from, from + rng() % 8, term, rng() % 120));
        }
        if (testing::run(s.get(), op).ok()) {
          run.acked = testing::applied(run.acked, op);
        } else {
          run.in_flight = op;
        }
      }
      s.reset();
      fs.crash(static_cast<CrashMode>(rng() % 3));
      std::unique_ptr<DurableStorage> r;
      ASSERT_OK(DurableStorage::open(&fs, options(), &r));
      std::vector<raft::MemoryStorage> allowed{run.acked};
      if (run.in_flight) allowed = crash_outcomes(run.acked, *run.in_flight);
      auto it = std::find_if(allowed.begin(), allowed.end(),
                             [&](const auto& m) { return testing::diff(*r, m).empty(); });
      ASSERT_NE(it, allowed.end())
          << "round " << round << " crash " << crash << ": " << testing::diff(*r, run.acked);
      acked = *it;  // what survived is now the acknowledged state
    }
  }
}

// --- damaged files ------------------------------------------------------------------------

class DamageTest : public ::testing::Test {
 protected:
  // Three segments with entries 1..30, each save in its own batch.
  void SetUp() override {
    std::unique_ptr<DurableStorage> s;
    ASSERT_OK(DurableStorage::open(&fs_, options(), &s));
    for (raft::Index i = 1; i <= 30; i += 3) {
      ASSERT_OK(s->save(HardState{1, 1, i}, entries(i, i + 2, 1, 40), std::nullopt));
    }
    std::vector<std::string> names;
    ASSERT_OK(fs_.list_dir(kDir, &names));
    std::sort(names.begin(), names.end());
    for (const auto& n : names) {
      uint64_t seq;
      if (parse_segment_name(n, &seq)) segments_.push_back(std::string(kDir) + "/" + n);
    }
    ASSERT_GE(segments_.size(), 3u);
  }

  Status reopen(bool repair = false) {
    report_ = {};
    storage_.reset();
    return DurableStorage::open(&fs_, options(repair), &storage_, &report_);
  }

  void flip_bit(const std::string& path, size_t offset) {
    std::string c = fs_.contents(path);
    ASSERT_LT(offset, c.size());
    c[offset] = static_cast<char>(c[offset] ^ 0x04);
    fs_.set_contents(path, c);
  }

  FaultFileSystem fs_{3};
  std::vector<std::string> segments_;
  std::unique_ptr<DurableStorage> storage_;
  RecoveryReport report_;
};

// Offset of the first entry record in a segment: file header, then the preamble records.
size_t first_entry_offset(const std::string& contents) {
  size_t off = 32;
  while (off < contents.size()) {
    ScannedRecord rec;
    std::string why;
    if (scan_record(std::string_view(contents).substr(off), &rec, &why) != ScanResult::kRecord) {
      break;
    }
    if (rec.type == RecordType::kEntry) return off;
    off += rec.size;
  }
  return 0;
}

// Where a segment's records end: a segment is preallocated, so zeros may follow them.
size_t records_end(const std::string& contents) {
  size_t end = contents.find_last_not_of('\0');
  return end == std::string::npos ? 0 : end + 1;
}

struct RecordPart {
  const char* name;
  size_t offset;  // within the record
};

TEST_F(DamageTest, BitFlipInAnyPartOfAMiddleRecordRefusesToOpen) {
  const RecordPart parts[] = {{"length", 1},
                              {"type", 4},
                              {"padding", 7},
                              {"header checksum", 10},
                              {"payload checksum", 14},
                              {"payload", 30}};
  const std::string& seg = segments_[1];
  for (const RecordPart& part : parts) {
    SCOPED_TRACE(part.name);
    std::string original = fs_.contents(seg);
    size_t off = first_entry_offset(original);
    ASSERT_GT(off, 0u);
    flip_bit(seg, off + part.offset);
    Status st = reopen();
    EXPECT_EQ(st.code(), StatusCode::kCorruption);
    EXPECT_NE(st.message().find(seg.substr(4) + " offset " + std::to_string(off)),
              std::string::npos)
        << st.to_string();
    fs_.set_contents(seg, original);
  }
  EXPECT_OK(reopen());
}

TEST_F(DamageTest, BitFlipInAHardStateRecordRefusesToOpen) {
  const std::string& seg = segments_[1];
  size_t preamble_hs = 32;  // preamble: compaction record, then hard state record
  ScannedRecord rec;
  std::string why;
  std::string c = fs_.contents(seg);
  ASSERT_EQ(scan_record(std::string_view(c).substr(32), &rec, &why), ScanResult::kRecord);
  preamble_hs += rec.size;
  flip_bit(seg, preamble_hs + 20);
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.to_string();
  EXPECT_NE(st.message().find("offset " + std::to_string(preamble_hs)), std::string::npos);
}

TEST_F(DamageTest, BitFlipInSegmentHeaderRefusesToOpen) {
  for (size_t off : {0u, 9u, 17u, 29u}) {
    SCOPED_TRACE(off);
    std::string original = fs_.contents(segments_[0]);
    flip_bit(segments_[0], off);
    Status st = reopen();
    EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.to_string();
    EXPECT_NE(st.message().find(segments_[0].substr(4)), std::string::npos) << st.to_string();
    fs_.set_contents(segments_[0], original);
  }
}

TEST_F(DamageTest, UnknownFormatVersionIsReported) {
  std::string c = fs_.contents(segments_[0]);
  std::string header = c.substr(0, 28);
  header[8] = 2;  // version 2, with a valid header checksum
  put_u32(&header, checksum32(header));
  fs_.set_contents(segments_[0], header + c.substr(32));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("unsupported format version 2"), std::string::npos) << st.to_string();
}

TEST_F(DamageTest, DamagedLastRecordIsCutAsATornTail) {
  const std::string& last = segments_.back();
  std::string c = fs_.contents(last);
  flip_bit(last, records_end(c) - 3);  // payload of the final record (the hard state)
  ASSERT_OK(reopen());
  ASSERT_EQ(report_.actions.size(), 1u);
  EXPECT_NE(report_.actions[0].find("cut torn tail"), std::string::npos);
  EXPECT_EQ(storage_->last_index(), 30u);
  EXPECT_EQ(storage_->hard_state(), (HardState{1, 1, 25})) << "the previous hard state";
}

TEST_F(DamageTest, TruncatedLastSegmentIsATornTail) {
  const std::string& last = segments_.back();
  std::string c = fs_.contents(last);
  fs_.set_contents(last, c.substr(0, records_end(c) - 70));
  ASSERT_OK(reopen());
  EXPECT_LT(storage_->last_index(), 30u);
  EXPECT_EQ(testing::all_entries(*storage_), entries(1, storage_->last_index(), 1, 40));
}

TEST_F(DamageTest, FinishedSegmentsAreCutToTheirRecords) {
  for (size_t i = 0; i + 1 < segments_.size(); ++i) {
    std::string c = fs_.contents(segments_[i]);
    EXPECT_EQ(c.size(), records_end(c)) << segments_[i];
  }
}

TEST(PreallocationTest, NewRecordsOverwriteThePreallocatedZerosAfterARestart) {
  FaultFileSystem fs(5);
  const DurableStorageOptions big{kDir, 4096, false};
  std::unique_ptr<DurableStorage> s;
  ASSERT_OK(DurableStorage::open(&fs, big, &s));
  ASSERT_OK(s->save(HardState{1, 1, 0}, entries(1, 3, 1, 40), std::nullopt));
  const std::string seg = std::string(kDir) + "/" + segment_name(1);
  std::string c = fs.contents(seg);
  EXPECT_EQ(c.size(), 4096u) << "the segment is preallocated";
  size_t before = records_end(c);
  ASSERT_LT(before, 4096u);

  RecoveryReport report;
  s.reset();
  ASSERT_OK(DurableStorage::open(&fs, big, &s, &report));
  EXPECT_TRUE(report.actions.empty()) << "zeros after the records are not damage";
  ASSERT_OK(s->save(HardState{1, 1, 3}, entries(4, 4, 1, 5), std::nullopt));
  c = fs.contents(seg);
  EXPECT_GT(records_end(c), before);
  EXPECT_EQ(c.size(), 4096u) << "written inside the preallocated space";

  s.reset();
  ASSERT_OK(DurableStorage::open(&fs, big, &s));
  EXPECT_EQ(testing::all_entries(*s), [] {
    auto e = entries(1, 3, 1, 40);
    auto more = entries(4, 4, 1, 5);
    e.insert(e.end(), more.begin(), more.end());
    return e;
  }());
  EXPECT_EQ(s->hard_state(), (HardState{1, 1, 3}));
}

TEST_F(DamageTest, TornTailIsZeroedSoNothingStaleFollowsNewRecords) {
  const std::string& last = segments_.back();
  std::string c = fs_.contents(last);
  size_t final_record = 32;  // after the file header
  for (;;) {
    ScannedRecord rec;
    std::string why;
    ASSERT_EQ(scan_record(std::string_view(c).substr(final_record), &rec, &why),
              ScanResult::kRecord);
    if (final_record + rec.size >= records_end(c)) break;
    final_record += rec.size;
  }
  flip_bit(last, records_end(c) - 3);  // the final record becomes a torn tail
  ASSERT_OK(reopen());
  EXPECT_EQ(fs_.contents(last),
            c.substr(0, final_record) + std::string(c.size() - final_record, '\0'))
      << "cut at the torn record, zeros after it, the size kept";
}

TEST_F(DamageTest, ZerosAtTheEndOfAFinishedSegmentRefuseToOpen) {
  std::string c = fs_.contents(segments_[1]);
  fs_.set_contents(segments_[1], c + std::string(64, '\0'));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("segment ends in zeros"), std::string::npos) << st.to_string();
}

TEST_F(DamageTest, TruncatedMiddleSegmentRefusesToOpen) {
  std::string c = fs_.contents(segments_[1]);
  fs_.set_contents(segments_[1], c.substr(0, c.size() - 10));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("truncated segment"), std::string::npos) << st.to_string();
}

TEST_F(DamageTest, MissingMiddleSegmentRefusesToOpen) {
  ASSERT_OK(fs_.remove(segments_[1]));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("missing segment"), std::string::npos) << st.to_string();
}

TEST_F(DamageTest, MissingFirstSegmentRefusesToOpen) {
  ASSERT_OK(fs_.remove(segments_[0]));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption) << st.to_string();
}

TEST_F(DamageTest, RepairTruncatesAtTheDamageAndSaysWhat) {
  std::string c = fs_.contents(segments_[1]);
  size_t off = first_entry_offset(c);
  flip_bit(segments_[1], off + 20);
  ASSERT_EQ(reopen().code(), StatusCode::kCorruption);
  ASSERT_OK(reopen(/*repair=*/true));
  ASSERT_GE(report_.actions.size(), 2u);
  EXPECT_NE(report_.actions[0].find("repair"), std::string::npos) << report_.actions[0];
  raft::Index kept = storage_->last_index();
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, 30u);
  EXPECT_EQ(testing::all_entries(*storage_), entries(1, kept, 1, 40));
  // The repaired log opens normally and accepts writes.
  ASSERT_OK(storage_->save(HardState{2, 2, 1}, entries(kept + 1, kept + 1, 2), std::nullopt));
  ASSERT_OK(reopen());
  EXPECT_EQ(storage_->last_index(), kept + 1);
}

TEST_F(DamageTest, MissingSnapshotFileRefusesToOpen) {
  ASSERT_OK(reopen());
  ASSERT_OK(storage_->compact(20, ConfState{{1}, {}, {}}, "img"));
  ASSERT_OK(fs_.remove(std::string(kDir) + "/" + snapshot_file_name(20)));
  Status st = reopen();
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find(snapshot_file_name(20)), std::string::npos) << st.to_string();
}

// --- a full disk and a failed fsync -------------------------------------------------------

struct WriteFault {
  const char* name;
  std::function<void(FaultFileSystem*)> inject;
  StatusCode first_error;
};

class WriteFaultTest : public ::testing::TestWithParam<WriteFault> {};

TEST_P(WriteFaultTest, NothingIsAcknowledgedAndTheStorageRefusesFurtherWrites) {
  FaultFileSystem fs(5);
  std::unique_ptr<DurableStorage> s;
  ASSERT_OK(DurableStorage::open(&fs, options(), &s));
  ASSERT_OK(s->save(HardState{1, 1, 2}, entries(1, 5, 1), std::nullopt));
  GetParam().inject(&fs);
  Status st = s->save(HardState{1, 1, 5}, entries(6, 10, 1, 200), std::nullopt);
  EXPECT_EQ(st.code(), GetParam().first_error) << st.to_string();
  EXPECT_EQ(s->last_index(), 5u) << "a failed write must not become visible";
  EXPECT_EQ(s->hard_state(), (HardState{1, 1, 2}));
  EXPECT_EQ(s->health().code(), GetParam().first_error);
  // No blind retry: even with the fault gone, the storage stays failed.
  fs.set_capacity(std::nullopt);
  Status again = s->save(HardState{1, 1, 5}, entries(6, 6, 1), std::nullopt);
  EXPECT_EQ(again.code(), StatusCode::kFailed) << again.to_string();
  EXPECT_NE(again.message().find(st.message()), std::string::npos) << "names the cause";
  EXPECT_EQ(s->compact(3, ConfState{}, "x").code(), StatusCode::kFailed);

  // Restarting (recovery) brings back exactly the acknowledged state.
  s.reset();
  fs.crash(CrashMode::kLoseUnsynced);
  ASSERT_OK(DurableStorage::open(&fs, options(), &s));
  EXPECT_EQ(testing::all_entries(*s), entries(1, 5, 1));
  EXPECT_EQ(s->hard_state(), (HardState{1, 1, 2}));
  ASSERT_OK(s->save(std::nullopt, entries(6, 6, 2), std::nullopt));
}

INSTANTIATE_TEST_SUITE_P(
    Faults, WriteFaultTest,
    ::testing::Values(WriteFault{"FullDisk", [](FaultFileSystem* fs) { fs->set_capacity(600); },
                                 StatusCode::kNoSpace},
                      WriteFault{"FailedFsync", [](FaultFileSystem* fs) { fs->fail_next_syncs(1); },
                                 StatusCode::kIoError}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace raftkv::storage
