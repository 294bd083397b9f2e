#include "server/disk_writer.h"

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

void DiskWriter::submit(std::shared_ptr<const PersistBatch> batch, Done done) {
  submit_job([this, batch = std::move(batch)] { return sink_->save(*batch); }, std::move(done));
}

void DiskWriter::submit_job(Job job, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.emplace_back(std::move(job), std::move(done));
  }
  cv_.notify_one();
}

void DiskWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    auto work = std::move(queue_);
    queue_.clear();
    lock.unlock();
    for (auto& [job, done] : work) {
      if (failed_) {
        // A failed fsync is never retried: what reached the disk is unknown.
        done(false, failure_);
        continue;
      }
      if (auto err = job()) {
        failed_ = true;
        failure_ = *err;
        done(false, failure_);
      } else {
        done(true, {});
      }
    }
    lock.lock();
  }
}

}  // namespace raftkv::server
