// Command latencies for INFO latencystats: a log-linear histogram over nanoseconds, as
// Redis's HdrHistogram with two significant digits. Recording is a few shifts and one
// increment, with no allocation; the buckets are allocated once, on a command's first
// timed call.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace raftkv::server {

class LatencyHistogram {
 public:
  // 64 sub-buckets per power of two: a value is reported at most 1/64 (1.6%) above itself.
  static constexpr int kSubBits = 6;
  static constexpr uint64_t kLinear = uint64_t{2} << kSubBits;  // exact below this
  // Values are capped at 2^40 ns (18 minutes); a slower command is counted there.
  static constexpr int kMaxBits = 40;
  static constexpr size_t kBuckets = kLinear + (kMaxBits - kSubBits - 1) * (size_t{1} << kSubBits);

  void record(uint64_t ns) {
    ++buckets_[index(ns)];
    ++count_;
  }
  uint64_t count() const { return count_; }
  // The smallest recorded value v such that `percent` of the values are <= v, as the
  // upper end of its bucket (HdrHistogram's highest equivalent value); 0 when empty.
  uint64_t percentile(double percent) const;
  // How many recorded values fall in buckets wholly at or below `ns`.
  uint64_t count_at_most(uint64_t ns) const {
    uint64_t n = 0;
    for (size_t i = 0; i < kBuckets && upper_bound(i) <= ns; ++i) n += buckets_[i];
    return n;
  }

  static size_t index(uint64_t ns) {
    if (ns >= (uint64_t{1} << kMaxBits)) ns = (uint64_t{1} << kMaxBits) - 1;
    if (ns < kLinear) return static_cast<size_t>(ns);
    const int shift = std::bit_width(ns) - (kSubBits + 1);  // >= 1: ns >> shift in [64, 128)
    return static_cast<size_t>(kLinear + (shift - 1) * (uint64_t{1} << kSubBits) +
                               ((ns >> shift) - (uint64_t{1} << kSubBits)));
  }
  // The largest value that falls in bucket `i`.
  static uint64_t upper_bound(size_t i) {
    if (i < kLinear) return i;
    const size_t k = i - kLinear;
    const int shift = static_cast<int>(k >> kSubBits) + 1;
    const uint64_t sub = (k & ((size_t{1} << kSubBits) - 1)) + (uint64_t{1} << kSubBits);
    return ((sub + 1) << shift) - 1;
  }

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
};

inline uint64_t LatencyHistogram::percentile(double percent) const {
  if (count_ == 0) return 0;
  // As HdrHistogram: the rank is rounded up, and at least the first value.
  uint64_t rank = static_cast<uint64_t>(percent / 100.0 * static_cast<double>(count_) + 0.5);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return upper_bound(i);
  }
  return upper_bound(kBuckets - 1);
}

}  // namespace raftkv::server
