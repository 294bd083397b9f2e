// The simulator's implementation of server::DiskQueue: batches and storage jobs complete
// one at a time, in order, after a drawn latency, through the same LogSink interface the
// server's disk thread uses. A stall holds every completion until it ends while the node
// keeps ticking and stepping (a slow or hung disk). A crash loses whatever had not
// completed: the queue dies with its process (SimRuntime drops its pending completions).
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "raft/storage.h"
#include "server/disk_writer.h"
#include "sim/rng.h"
#include "sim/sim_runtime.h"

namespace raftkv::sim {

struct SimDiskConfig {
  double instant = 0.3;   // probability that a write completes at once
  Time max_latency = 30;  // otherwise uniform in [1, max_latency]
};

// Writes batches into a MemoryStorage: what it holds is what survives a crash.
class MemorySink : public server::LogSink {
 public:
  explicit MemorySink(raft::MemoryStorage* storage) : storage_(storage) {}
  std::optional<std::string> save(server::PersistBatch& b) override {
    if (b.snapshot) storage_->apply_snapshot(*b.snapshot);
    if (!b.entries.empty()) storage_->append(std::move(b.entries));
    if (b.hard_state) storage_->set_hard_state(*b.hard_state);
    return std::nullopt;
  }

 private:
  raft::MemoryStorage* storage_;
};

class SimDiskQueue : public server::DiskQueue {
 public:
  SimDiskQueue(SimRuntime& runtime, EventQueue& queue, server::LogSink& sink, Rng rng,
               SimDiskConfig config, const Time* stall_until)
      : rt_(runtime),
        queue_(queue),
        sink_(sink),
        rng_(rng),
        config_(config),
        stall_until_(stall_until) {}

  void submit(std::shared_ptr<server::PersistBatch> batch, Done done) override {
    work_.push_back(Work{std::move(batch), nullptr, std::move(done)});
    start_next();
  }
  void submit_job(Job job, Done done) override {
    work_.push_back(Work{nullptr, std::move(job), std::move(done)});
    start_next();
  }
  uint64_t saves() const override { return saves_; }

 private:
  struct Work {
    std::shared_ptr<server::PersistBatch> batch;
    Job job;
    Done done;
  };

  void start_next() {
    if (busy_ || work_.empty()) return;
    busy_ = true;
    const Time delay = rng_.chance(config_.instant) ? 0 : rng_.uniform(1, config_.max_latency);
    rt_.schedule(delay, [this] { complete_front(); });
  }

  void complete_front() {
    if (*stall_until_ > queue_.now()) {  // the disk hangs: try again when the stall ends
      rt_.schedule(*stall_until_ - queue_.now(), [this] { complete_front(); });
      return;
    }
    Work w = std::move(work_.front());
    work_.pop_front();
    std::optional<std::string> error = failure_;
    if (!error) error = w.batch ? sink_.save(*w.batch) : w.job();
    if (error) failure_ = error;
    ++saves_;
    busy_ = false;
    w.done(!error, error.value_or(""));
    start_next();
  }

  SimRuntime& rt_;
  EventQueue& queue_;
  server::LogSink& sink_;
  Rng rng_;
  SimDiskConfig config_;
  const Time* stall_until_;  // owned by the node: survives the queue across restarts
  std::deque<Work> work_;
  bool busy_ = false;
  std::optional<std::string> failure_;
  uint64_t saves_ = 0;
};

}  // namespace raftkv::sim
