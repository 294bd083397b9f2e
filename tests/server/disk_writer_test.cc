// DiskWriter: batches queued together are written with one save (group commit across Ready
// batches), in order, and a failed save fails everything after it.
#include "server/disk_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace raftkv::server {
namespace {

raft::Entry entry(raft::Index i, raft::Term t) {
  return raft::Entry{t, i, raft::EntryType::kNormal, "e"};
}

std::shared_ptr<PersistBatch> batch(std::vector<raft::Entry> entries,
                                    std::optional<raft::HardState> hs = std::nullopt) {
  auto b = std::make_shared<PersistBatch>();
  b->entries = std::move(entries);
  b->hard_state = hs;
  return b;
}

TEST(MergeBatches, LaterEntriesReplaceFromTheirFirstIndexAndTheLastHardStateWins) {
  PersistBatch into = *batch({entry(5, 1), entry(6, 1), entry(7, 1)}, raft::HardState{1, 1, 4});
  merge_batches(&into, *batch({entry(8, 1)}));
  merge_batches(&into, *batch({}, raft::HardState{2, 2, 6}));
  merge_batches(&into, *batch({entry(7, 2), entry(8, 2)}));  // a new leader overwrote 7..
  ASSERT_EQ(into.entries.size(), 4u);
  EXPECT_EQ(into.entries[2].index, 7u);
  EXPECT_EQ(into.entries[2].term, 2u);
  EXPECT_EQ(into.entries[3].index, 8u);
  EXPECT_EQ(into.hard_state, (raft::HardState{2, 2, 6}));
  merge_batches(&into, *batch({entry(3, 3)}));  // overwrites everything held
  ASSERT_EQ(into.entries.size(), 1u);
  EXPECT_EQ(into.entries[0].index, 3u);
}

// Records every save; the first one waits until the test lets it go, so that the batches
// submitted meanwhile are all queued when the writer next looks.
class GatedSink : public LogSink {
 public:
  std::optional<std::string> save(PersistBatch& b) override {
    std::unique_lock lock(mu);
    saved.push_back(b);
    cv.wait(lock, [&] { return open; });
    if (fail_next) {
      fail_next = false;
      return "injected failure";
    }
    return std::nullopt;
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  bool fail_next = false;
  std::vector<PersistBatch> saved;
};

TEST(DiskWriterTest, BatchesQueuedTogetherShareOneSave) {
  auto sink_owner = std::make_unique<GatedSink>();
  GatedSink* sink = sink_owner.get();
  std::vector<std::promise<bool>> done(4);
  {
    DiskWriter writer(std::move(sink_owner));
    auto cb = [&](int i) { return [&, i](bool ok, std::string) { done[i].set_value(ok); }; };
    writer.submit(batch({entry(1, 1)}), cb(0));
    // Wait until the first save is under way (and blocked), then queue three more.
    for (;;) {
      std::lock_guard lock(sink->mu);
      if (!sink->saved.empty()) break;
    }
    writer.submit(batch({entry(2, 1)}), cb(1));
    writer.submit(batch({}), cb(2));  // an acknowledgement-only batch: nothing to write
    writer.submit(batch({entry(3, 1)}, raft::HardState{1, 1, 2}), cb(3));
    sink->release();
    for (auto& d : done) EXPECT_TRUE(d.get_future().get());
    EXPECT_EQ(writer.saves(), 2u);
    EXPECT_EQ(writer.batches_saved(), 4u);
    std::vector<PersistBatch> saved;
    {
      std::lock_guard lock(sink->mu);  // the writer (and with it the sink) is still alive
      saved = sink->saved;
    }
    ASSERT_EQ(saved.size(), 2u);
    ASSERT_EQ(saved[1].entries.size(), 2u);
    EXPECT_EQ(saved[1].entries[0].index, 2u);
    EXPECT_EQ(saved[1].entries[1].index, 3u);
    EXPECT_EQ(saved[1].hard_state, (raft::HardState{1, 1, 2}));
  }
}

TEST(DiskWriterTest, AFailedSaveFailsItsBatchesAndEveryLaterOne) {
  auto sink_owner = std::make_unique<GatedSink>();
  GatedSink* sink = sink_owner.get();
  sink->fail_next = true;
  sink->release();
  DiskWriter writer(std::move(sink_owner));
  std::promise<bool> first, second;
  writer.submit(batch({entry(1, 1)}), [&](bool ok, std::string) { first.set_value(ok); });
  EXPECT_FALSE(first.get_future().get());
  writer.submit(batch({entry(2, 1)}), [&](bool ok, std::string) { second.set_value(ok); });
  EXPECT_FALSE(second.get_future().get()) << "never retried after a failed fsync";
  EXPECT_EQ(writer.saves(), 1u);
}

// INFO and /metrics read the counters on the io thread while the disk thread saves: the
// ThreadSanitizer build runs this to check they are read safely (dropping the lock in
// saves() makes it report a data race here).
class CountingSink : public LogSink {
 public:
  std::optional<std::string> save(PersistBatch&) override { return std::nullopt; }
};

TEST(DiskWriterTest, CountersAreReadWhileTheDiskThreadSaves) {
  DiskWriter writer(std::make_unique<CountingSink>());
  constexpr uint64_t kBatches = 2000;
  std::atomic<uint64_t> done{0};
  uint64_t last_saves = 0;
  for (raft::Index i = 1; i <= kBatches; ++i) {
    writer.submit(batch({entry(i, 1)}), [&](bool, std::string) { ++done; });
    const uint64_t saves = writer.saves();  // while the disk thread saves earlier ones
    EXPECT_GE(saves, last_saves) << "a counter went backwards";
    last_saves = saves;
  }
  while (done.load() < kBatches) std::this_thread::yield();
  EXPECT_EQ(writer.batches_saved(), kBatches);
  EXPECT_LE(writer.saves(), kBatches);
}

}  // namespace
}  // namespace raftkv::server
