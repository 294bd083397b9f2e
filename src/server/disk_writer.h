// The disk side of the server: persists one Ready batch at a time on its own thread, so a
// slow fsync never stalls the event loop that sends heartbeats.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raft/types.h"

namespace raftkv::server {

// What gets persisted: the parts of a Ready the durability contract names.
struct PersistBatch {
  std::optional<raft::HardState> hard_state;
  std::vector<raft::Entry> entries;
  std::optional<raft::Snapshot> snapshot;
};

// Appends `next` to `into` as if `into` were written first and `next` after it: entries of
// `next` replace those of `into` from their first index on, and its hard state wins.
// Neither may hold a snapshot.
void merge_batches(PersistBatch* into, PersistBatch next);

// Durable log behind the writer; implemented over src/storage's write-ahead log.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes the batch and makes it durable (one fsync). An error is final: the node stops.
  // The batch is the sink's to consume (it may move the entries out).
  virtual std::optional<std::string> save(PersistBatch& batch) = 0;
};

// The driver's view of the disk: an ordered queue of batches and storage jobs. The server
// runs it on a thread of its own (DiskWriter); the simulator completes it on simulated
// time, through the same LogSink, so both run the same driver.
class DiskQueue {
 public:
  // `done(ok, error)` may be invoked on another thread; the caller posts it where it wants.
  using Done = std::function<void(bool ok, std::string error)>;
  // Other storage work (compaction) that runs in order with the batches, since the storage
  // takes one writer at a time. An error fails the queue like a failed save.
  using Job = std::function<std::optional<std::string>()>;
  virtual ~DiskQueue() = default;
  // Queues a batch; batches are written in order. Batches queued together may be written
  // with one save (one fsync) — group commit across batches — unless one holds a
  // snapshot; each still gets its own `done`. After a failure every later one fails too.
  virtual void submit(std::shared_ptr<PersistBatch> batch, Done done) = 0;
  virtual void submit_job(Job job, Done done) = 0;
  // Saves made (fsyncs, at most one each), for stats.
  virtual uint64_t saves() const = 0;
};

class DiskWriter : public DiskQueue {
 public:
  explicit DiskWriter(std::unique_ptr<LogSink> sink);
  ~DiskWriter() override;
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // `done` runs on the writer thread.
  void submit(std::shared_ptr<PersistBatch> batch, Done done) override;
  // Saves made (fsyncs, at most one each) and batches they carried, for tests and stats.
  uint64_t saves() const override;
  uint64_t batches_saved() const;
  void submit_job(Job job, Done done) override;

 private:
  void run();

  struct Work {
    std::shared_ptr<PersistBatch> batch;  // a batch to save, or
    Job job;                              // other storage work
    Done done;
  };
  // Runs work[i] (merged with the batches that follow it) and returns the next index.
  size_t run_from(std::vector<Work>& work, size_t i);
  void finish(Done& done, const std::optional<std::string>& error);

  std::unique_ptr<LogSink> sink_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Work> queue_;
  uint64_t saves_ = 0;          // guarded by mu_
  uint64_t batches_saved_ = 0;  // guarded by mu_
  bool stopping_ = false;
  bool failed_ = false;
  std::string failure_;
  std::thread thread_;
};

}  // namespace raftkv::server
