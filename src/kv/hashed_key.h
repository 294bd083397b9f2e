// A byte string paired with its XXH3 hash, ordered by (hash, bytes).
//
// Why that order: it depends only on the strings themselves (XXH3, seed 0, the same on every
// platform), so iterating a container in it is canonical — snapshots and digests come out
// identical on every replica whatever the insertion history — and it looks random, so a
// random 64-bit number's lower_bound picks a pseudo-random element in O(log n) (SPOP,
// SRANDMEMBER) and a hash value can serve as a stable SCAN cursor. The key space and sets
// both use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv::kv {

// XXH3-64 with seed 0.
uint64_t key_hash(std::string_view key);

struct HashedKey {
  uint64_t hash;
  std::string name;
};

// A lookup probe for a HashedKey container (no copy of the bytes).
struct HashedKeyRef {
  uint64_t hash;
  std::string_view name;

  static HashedKeyRef of(std::string_view name) { return HashedKeyRef{key_hash(name), name}; }
};

struct HashedKeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.hash != b.hash) return a.hash < b.hash;
    return std::string_view(a.name) < std::string_view(b.name);
  }
};

}  // namespace raftkv::kv
