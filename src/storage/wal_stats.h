// Timings and volume of the write-ahead log's appends, for the server's metrics: written
// by the thread that writes the log (the disk thread), read by whoever scrapes them.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace raftkv::storage {

// A latency histogram with fixed buckets: etcd's disk buckets, 1 ms doubling up to about
// 8 s (0.001 * 2^k s, k = 0..13), so that dashboards and alerts written for etcd's
// wal_fsync_duration read the same here. One writer at a time; readers may race with it
// and see a count and sum a sample apart, which a scrape tolerates.
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 14;  // finite upper bounds; one more bucket for +Inf
  static constexpr double upper_bound_seconds(int k) { return 0.001 * static_cast<double>(1 << k); }

  void record(std::chrono::nanoseconds d) {
    const int64_t ns = d.count();
    int k = 0;
    while (k < kBuckets && ns > 1'000'000LL << k) ++k;
    // Relaxed: nothing else is published through these, and one writer means no lost update.
    buckets_[static_cast<size_t>(k)].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(static_cast<uint64_t>(ns > 0 ? ns : 0), std::memory_order_relaxed);
  }

  struct Snapshot {
    std::array<uint64_t, kBuckets + 1> counts{};  // per bucket, not cumulative; last: +Inf
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  Snapshot snapshot() const {
    Snapshot s;
    for (size_t k = 0; k < buckets_.size(); ++k) {
      s.counts[k] = buckets_[k].load(std::memory_order_relaxed);
      s.count += s.counts[k];
    }
    s.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
    return s;
  }

 private:
  std::array<std::atomic<uint64_t>, kBuckets + 1> buckets_{};
  std::atomic<uint64_t> sum_ns_{0};
};

struct WalStats {
  LatencyHistogram write;  // the write(2) calls of one append, before its fsync
  LatencyHistogram fsync;  // the append's fdatasync
  std::atomic<uint64_t> bytes_written{0};
};

}  // namespace raftkv::storage
