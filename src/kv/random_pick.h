// Uniform random picks from the store's containers (SPOP, SRANDMEMBER, RANDOMKEY,
// HRANDFIELD, ZRANDMEMBER): every element has the same chance, and a write's picks depend
// only on its seed (derived from the log entry), so they are the same on every replica.
//
// Containers ordered by (hash, bytes) (sets and the key space, hashed_key.h) are picked from
// by hash bucket, in O(log n) expected: the hash space is cut into n/4 equal buckets; a try
// draws a bucket and a slot in [0, kSlotsPerBucket), and returns the bucket's member at that
// slot if it has one, else tries again. Every member has the same chance per try,
// 1 / (buckets * kSlotsPerBucket), whatever the gaps between hashes. (Picking "the member at
// or after a random hash" instead favours members after large gaps: on 10 members, one came
// up 100 times more often than another.) A bucket fuller than kSlotsPerBucket (p < 1e-12 for
// random members; only crafted ones) and a run of failed tries fall back to a walk to a
// uniform position, O(n). Small containers and byte-ordered ones (hashes, sorted sets) are
// always walked.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "kv/hashed_key.h"

namespace raftkv::kv {

// SplitMix64: a small deterministic generator for writes, seeded from the log entry.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t x = (state_ += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  }

 private:
  uint64_t state_;
};

// Reads may differ between replicas (SRANDMEMBER, RANDOMKEY, ...): a local generator.
inline std::mt19937_64& local_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return generator;
}

// Uniform in [0, n), n > 0: draws below the largest multiple of n are kept (no modulo bias).
template <typename Rng>
uint64_t uniform_below(Rng& rng, uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t r = rng();
    if (r >= threshold) return r % n;
  }
}

// The element at a uniform position, walking from the start: O(n). `c` must not be empty.
template <typename Container, typename Rng>
typename Container::const_iterator pick_by_walk(const Container& c, Rng& rng) {
  return std::next(c.begin(), static_cast<std::ptrdiff_t>(uniform_below(rng, c.size())));
}

inline uint64_t hash_of(const HashedKey& key) {
  return key.hash;
}
template <typename V>
uint64_t hash_of(const std::pair<const HashedKey, V>& entry) {
  return entry.first.hash;
}

inline constexpr size_t kWalkAtMost = 128;       // smaller containers are walked
inline constexpr uint64_t kMeanPerBucket = 4;    // n / buckets
inline constexpr uint64_t kSlotsPerBucket = 24;  // a try succeeds with p ~ 4/24
inline constexpr int kBucketTries = 64;          // then walk: p ~ 1e-5

template <typename Container>
concept HashOrdered = std::is_same_v<typename Container::key_compare, HashedKeyLess>;
template <typename Container>
inline constexpr bool kHashOrdered = HashOrdered<Container>;

// A uniform element of a non-empty container: by hash bucket if it is ordered by
// HashedKeyLess (SetValue, the key space's map), else by walking.
template <typename Container, typename Rng>
typename Container::const_iterator pick_uniform(const Container& c, Rng& rng) {
  if constexpr (!kHashOrdered<Container>) {
    return pick_by_walk(c, rng);
  } else {
    const size_t n = c.size();
    if (n <= kWalkAtMost) return pick_by_walk(c, rng);
    const uint64_t buckets = n / kMeanPerBucket;
    const uint64_t width = UINT64_MAX / buckets + 1;  // buckets * width >= 2^64
    for (int attempt = 0; attempt < kBucketTries; ++attempt) {
      const uint64_t low = uniform_below(rng, buckets) * width;
      const uint64_t slot = uniform_below(rng, kSlotsPerBucket);
      auto chosen = c.end();
      uint64_t seen = 0;
      for (auto it = c.lower_bound(HashedKeyRef{low, std::string_view()});
           it != c.end() && hash_of(*it) - low < width; ++it, ++seen) {
        if (seen == slot) chosen = it;
      }
      if (seen > kSlotsPerBucket) break;  // an overfull bucket: its tail could never be picked
      if (chosen != c.end()) return chosen;
    }
    return pick_by_walk(c, rng);
  }
}

// `k` distinct elements (k <= size), each subset equally likely, in random order: a
// partial Fisher-Yates shuffle of all the positions, O(n).
template <typename Container, typename Rng>
std::vector<typename Container::const_iterator> pick_distinct(const Container& c, size_t k,
                                                              Rng& rng) {
  std::vector<typename Container::const_iterator> all;
  all.reserve(c.size());
  for (auto it = c.begin(); it != c.end(); ++it) all.push_back(it);
  for (size_t i = 0; i < k; ++i) {
    std::swap(all[i], all[i + uniform_below(rng, all.size() - i)]);
  }
  all.resize(k);
  return all;
}

// `k` elements picked independently (repeats allowed) from a non-empty container: by
// position, from a table of them all, unless k bucket picks are cheaper.
template <typename Container, typename Rng>
std::vector<typename Container::const_iterator> pick_with_repeats(const Container& c, size_t k,
                                                                  Rng& rng) {
  std::vector<typename Container::const_iterator> picked;
  picked.reserve(k);
  if (!kHashOrdered<Container> || c.size() <= kWalkAtMost || k * 8 >= c.size()) {
    std::vector<typename Container::const_iterator> all;
    all.reserve(c.size());
    for (auto it = c.begin(); it != c.end(); ++it) all.push_back(it);
    for (size_t i = 0; i < k; ++i) picked.push_back(all[uniform_below(rng, all.size())]);
  } else {
    for (size_t i = 0; i < k; ++i) picked.push_back(pick_uniform(c, rng));
  }
  return picked;
}

}  // namespace raftkv::kv
