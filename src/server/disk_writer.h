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

// Durable log behind the writer; implemented over src/storage's write-ahead log.
class LogSink {
 public:
  virtual ~LogSink() = default;
  // Writes the batch and makes it durable (one fsync). An error is final: the node stops.
  virtual std::optional<std::string> save(const PersistBatch& batch) = 0;
};

class DiskWriter {
 public:
  // `done(ok, error)` is invoked on the writer thread; the caller posts it where it wants.
  using Done = std::function<void(bool ok, std::string error)>;

  explicit DiskWriter(std::unique_ptr<LogSink> sink);
  ~DiskWriter();
  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  // Queues a batch; batches are written in order.
  void submit(std::shared_ptr<const PersistBatch> batch, Done done);
  // Queues other storage work (compaction) to run in order with the batches, since the
  // storage takes one writer at a time. An error fails the writer like a failed save.
  using Job = std::function<std::optional<std::string>()>;
  void submit_job(Job job, Done done);

 private:
  void run();

  std::unique_ptr<LogSink> sink_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Job, Done>> queue_;
  bool stopping_ = false;
  bool failed_ = false;
  std::string failure_;
  std::thread thread_;
};

}  // namespace raftkv::server
