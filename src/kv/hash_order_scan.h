// SCAN-style pages in (hash, name) order (hashed_key.h), shared by SCAN over the key space
// and HSCAN / SSCAN / ZSCAN over collections.
//
// The cursor is a hash value: a page holds whole groups of elements with equal hash, in
// increasing hash order, starting at the cursor, and hands back the next hash present as
// the next cursor (0 when none is left). So an element present for the whole scan is
// returned exactly once, elements added or removed meanwhile may or may not be, a scan
// never loops, and pages depend only on the contents — the same on every replica.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "kv/hashed_key.h"

namespace raftkv::kv {

// For a container kept in (hash, name) order (the key space, sets): visits about `count`
// elements from `cursor` on, in O(log n + count). `hashed(element)` gives its HashedKey.
// Returns the next cursor.
template <typename Container, typename Hashed, typename Visit>
uint64_t scan_hash_ordered(const Container& container, uint64_t cursor, size_t count, Hashed hashed,
                           Visit visit) {
  auto it = container.lower_bound(HashedKeyRef{cursor, std::string_view()});
  size_t visited = 0;
  while (it != container.end() && visited < count) {
    const uint64_t group = hashed(*it).hash;
    for (; it != container.end() && hashed(*it).hash == group; ++it, ++visited) visit(*it);
  }
  // Every group visited had a hash >= cursor, so the next one is > cursor >= 0: a
  // non-final page never returns 0.
  return it == container.end() ? 0 : hashed(*it).hash;
}

// The same pages for a container kept in another order (hash fields as added, sorted-set
// members by score): found with one pass over all n elements, so a page covers at least
// n/64 of them (COUNT is a hint, as in Redis) and a whole scan costs at most ~64 passes.
// Up to kWholeScanSize elements come in one page, as Redis's small (listpack) sorted sets
// do (listpack hashes are not paged at all: collection_scan.cc). `name(element)` gives the
// bytes that are hashed. Elements are visited in (hash, name) order.
inline constexpr size_t kWholeScanSize = 128;  // Redis's zset-max-listpack-entries
template <typename Container, typename Name, typename Visit>
uint64_t scan_unordered(const Container& container, uint64_t cursor, size_t count, Name name,
                        Visit visit) {
  using Element = typename Container::value_type;
  struct Candidate {
    uint64_t hash;
    const Element* element;
  };
  std::vector<Candidate> candidates;
  for (const Element& element : container) {
    const uint64_t hash = key_hash(name(element));
    if (hash >= cursor) candidates.push_back({hash, &element});
  }
  const size_t n = container.size();
  const size_t take = n <= kWholeScanSize ? n : std::max(count, (n + 63) / 64);
  uint64_t next = 0;
  if (candidates.size() > take) {
    const auto by_hash = [](const Candidate& a, const Candidate& b) { return a.hash < b.hash; };
    std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(take - 1),
                     candidates.end(), by_hash);
    const uint64_t last = candidates[take - 1].hash;  // the page ends with this whole group
    const auto rest = std::partition(candidates.begin(), candidates.end(),
                                     [&](const Candidate& c) { return c.hash <= last; });
    if (rest != candidates.end()) next = std::min_element(rest, candidates.end(), by_hash)->hash;
    candidates.erase(rest, candidates.end());
  }
  std::sort(candidates.begin(), candidates.end(), [&](const Candidate& a, const Candidate& b) {
    return a.hash != b.hash ? a.hash < b.hash : name(*a.element) < name(*b.element);
  });
  for (const Candidate& c : candidates) visit(*c.element);
  return next;
}

}  // namespace raftkv::kv
