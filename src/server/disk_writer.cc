#include "server/disk_writer.h"

#include <pthread.h>

#include <algorithm>

namespace raftkv::server {

DiskWriter::DiskWriter(std::unique_ptr<LogSink> sink)
    : sink_(std::move(sink)), thread_([this] { run(); }) {}

DiskWriter::~DiskWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void merge_batches(PersistBatch* into, PersistBatch next) {
  if (!next.entries.empty()) {
    const raft::Index first = next.entries.front().index;
    auto& e = into->entries;
    // Drop what `next` overwrites: `into`'s entries are contiguous, so from the first
    // whose index is >= first on.
    auto cut = std::find_if(e.begin(), e.end(),
                            [first](const raft::Entry& x) { return x.index >= first; });
    e.erase(cut, e.end());
    e.insert(e.end(), std::make_move_iterator(next.entries.begin()),
             std::make_move_iterator(next.entries.end()));
  }
  if (next.hard_state) into->hard_state = next.hard_state;
}

void DiskWriter::submit(std::shared_ptr<PersistBatch> batch, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Work{std::move(batch), nullptr, std::move(done)});
  }
  cv_.notify_one();
}

void DiskWriter::submit_job(Job job, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Work{nullptr, std::move(job), std::move(done)});
  }
  cv_.notify_one();
}

uint64_t DiskWriter::saves() const {
  std::lock_guard lock(mu_);
  return saves_;
}

uint64_t DiskWriter::batches_saved() const {
  std::lock_guard lock(mu_);
  return batches_saved_;
}

void DiskWriter::run() {
  pthread_setname_np(pthread_self(), "raftkv-disk");  // for top -H, perf, gdb
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::vector<Work> work = std::move(queue_);
    queue_.clear();
    lock.unlock();
    for (size_t i = 0; i < work.size();) i = run_from(work, i);
    lock.lock();
  }
}

size_t DiskWriter::run_from(std::vector<Work>& work, size_t i) {
  if (failed_) {
    // A failed fsync is never retried: what reached the disk is unknown.
    finish(work[i].done, failure_);
    return i + 1;
  }
  if (!work[i].batch) {
    finish(work[i].done, work[i].job());
    return i + 1;
  }
  // Batches queued back to back become one save: their order is kept inside it, and the
  // acknowledgements of all of them wait for its single fsync.
  size_t end = i + 1;
  PersistBatch* single = work[i].batch.get();
  PersistBatch merged;
  if (!single->snapshot) {
    while (end < work.size() && work[end].batch && !work[end].batch->snapshot) ++end;
    if (end > i + 1) {
      // Each batch is written once, here: its entries move rather than copy.
      merged = std::move(*single);
      for (size_t k = i + 1; k < end; ++k) merge_batches(&merged, std::move(*work[k].batch));
      single = &merged;
    }
  }
  std::optional<std::string> error = sink_->save(*single);
  {
    std::lock_guard lock(mu_);
    ++saves_;
    batches_saved_ += end - i;
  }
  for (size_t k = i; k < end; ++k) finish(work[k].done, error);
  return end;
}

void DiskWriter::finish(Done& done, const std::optional<std::string>& error) {
  if (error && !failed_) {
    failed_ = true;
    failure_ = *error;
  }
  if (error) {
    done(false, failure_);
  } else {
    done(true, {});
  }
}

}  // namespace raftkv::server
