// WATCH's memory of when keys changed: the log index of the latest change to any key in
// each of a fixed number of buckets (a key's bucket is its XXH3 hash modulo the count).
//
// Why buckets and not a version per key: WATCH must also see a key deleted, expired or
// flushed after the WATCH, and a per-key version disappears with the key. A bucket
// outlives its keys, costs one store per write, and its memory is fixed. The price is
// that a change to another key in the same bucket also aborts a watching transaction:
// with 16,384 buckets and 100 writes between WATCH and EXEC that is about 0.6% of
// transactions, which then retry (as WATCH users do on any conflict). A spurious abort
// is allowed; a missed change never is.
//
// Replicated state: every replica applies the same entries and so touches the same
// buckets with the same indexes, and EXEC decides from them at apply time. The table is
// part of the snapshot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace raftkv::kv {

class WatchVersions {
 public:
  static constexpr size_t kBuckets = 16384;

  // The key with this hash changes at log index `index`.
  void touch(uint64_t hash, uint64_t index) { buckets_[hash % kBuckets] = index; }
  // Every key changes at `index` (FLUSHALL; a restore from a snapshot that has no table).
  void touch_all(uint64_t index) { buckets_.assign(kBuckets, index); }
  // Whether the key with this hash may have changed after log index `since`.
  bool changed_after(uint64_t hash, uint64_t since) const {
    return buckets_[hash % kBuckets] > since;
  }

  uint64_t bucket(size_t i) const { return buckets_[i]; }
  void set_bucket(size_t i, uint64_t index) { buckets_[i] = index; }

 private:
  std::vector<uint64_t> buckets_ = std::vector<uint64_t>(kBuckets, 0);  // 128 KiB, on the heap
};

}  // namespace raftkv::kv
