// The key space: byte-string keys to typed values (value.h), ordered by (hash of key, key).
//
// Why that order (hashed_key.h): SCAN needs a numeric cursor (clients parse it as an integer) that
// stays valid while keys come and go. Here the cursor is simply a hash value: a SCAN call returns
// whole groups of keys with equal hash, in increasing hash order, and hands back the next hash as
// the cursor. So every key present for the whole scan is returned exactly once, keys added or
// removed meanwhile may or may not be, and a scan never loops. The order depends only on the keys
// themselves (XXH3, seed 0, defined the same on every platform), so iteration, snapshots and
// digests are identical on every replica whatever the insertion order.
//
// Point lookups (GET, SET, ...) go through a hash index beside the ordered map: a std::map
// lookup in 100,000 keys is ~17 dependent cache misses, and it was the largest user-space
// cost of SET and GET under load (docs/benchmarks.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kv/expiry_table.h"
#include "kv/flat_index.h"
#include "kv/hashed_key.h"
#include "kv/random_pick.h"
#include "kv/value.h"
#include "kv/watch_versions.h"

namespace raftkv::kv {

class KvStore {
 public:
  KvStore() = default;
  // The index points into the map's nodes: a copy would point into the original.
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;
  KvStore(KvStore&&) = default;  // a moved std::map keeps its nodes, so the index stays valid
  KvStore& operator=(KvStore&&) = default;

  const Value* find(std::string_view key) const;
  // For a change: the key counts as changed at change_index() (WATCH), whether or not
  // the caller then changes it.
  Value* find(std::string_view key);
  // Starts loading, for all these keys at once, what looking them up and overwriting their
  // values will touch: the index slot, the map node, the key's and the value's bytes.
  // Applying a batch of writes to a large store is bound by memory latency (those are
  // dependent cache misses, one after the other, for each key); issued for the whole batch
  // first, the misses overlap. A hint only: the store is unchanged.
  void prefetch(std::span<const std::string_view> keys) const;

  // Sets `key` to `value` (replacing a value of any type; a deadline stays); returns true
  // when the key was new.
  bool set(std::string_view key, Value value);
  // The same, returning where the value now lives.
  Value* put(std::string_view key, Value value);
  bool erase(std::string_view key);
  void clear() {
    index_.clear();
    map_.clear();
    expiry_.clear();
    versions_.touch_all(change_index_);
  }
  size_t size() const { return map_.size(); }

  // --- expiry (deadlines in log-time milliseconds; see expiry_table.h) ---
  // The value, unless the key is missing or its deadline is <= now.
  const Value* find_live(std::string_view key, uint64_t now) const;
  // The key's deadline, 0 if none.
  uint64_t expire_at(std::string_view key) const { return expiry_.get(key); }
  // Gives an existing key a deadline (> 0).
  void set_expire(std::string_view key, uint64_t at) {
    versions_.touch(key_hash(key), change_index_);
    expiry_.set(key, at);
  }
  // Removes the key's deadline; false if it had none.
  bool persist(std::string_view key) {
    versions_.touch(key_hash(key), change_index_);
    return expiry_.remove(key);
  }
  // Erases up to `limit` keys whose deadline is <= now, earliest first; returns how many.
  size_t purge_expired(uint64_t now, size_t limit);
  size_t expires() const { return expiry_.size(); }
  bool has_due(uint64_t now) const { return expiry_.first_due(now).has_value(); }
  bool any_due_between(uint64_t after, uint64_t upto) const {
    return expiry_.any_due_between(after, upto);
  }
  template <typename Fn>
  void for_each_expiry(Fn&& fn) const {
    expiry_.for_each(std::forward<Fn>(fn));
  }

  // --- WATCH (watch_versions.h) ---
  // Every change from now on (a mutable find, set, put, erase, deadline change, purge or
  // clear) is recorded as made at log index `index`: the entry being applied.
  void set_change_index(uint64_t index) { change_index_ = index; }
  uint64_t change_index() const { return change_index_; }
  // Whether `key` may have changed after log index `since` (never a false "no").
  bool changed_after(std::string_view key, uint64_t since) const {
    return versions_.changed_after(key_hash(key), since);
  }
  const WatchVersions& watch_versions() const { return versions_; }
  WatchVersions& watch_versions() { return versions_; }

  struct ScanPage {
    uint64_t next_cursor = 0;  // 0 when the scan is complete
    std::vector<std::string> keys;
  };
  // Visits about `count` keys (never splitting a group of equal hashes) starting at
  // `cursor`, returning those that match the glob `pattern` (empty: all).
  ScanPage scan(uint64_t cursor, size_t count, std::string_view pattern) const;

  // 32 hex digits (XXH3-128 over every key, value and deadline in store order); all zeros
  // when the store is empty, like Redis's DEBUG DIGEST.
  std::string digest_hex() const;

  // A uniformly picked key for which accept(key) holds (RANDOMKEY skips expired keys);
  // nullptr if none does. Random picks first (random_pick.h); when they keep hitting
  // unaccepted keys, a pass over all keys picks among the accepted ones.
  template <typename Rng, typename Accept>
  const std::string* random_key(Rng& rng, Accept&& accept) const {
    if (map_.empty()) return nullptr;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto it = pick_uniform(map_, rng);
      if (accept(std::string_view(it->first.name))) return &it->first.name;
    }
    std::vector<const std::string*> accepted;
    for (const auto& [key, value] : map_) {
      if (accept(std::string_view(key.name))) accepted.push_back(&key.name);
    }
    return accepted.empty() ? nullptr : accepted[uniform_below(rng, accepted.size())];
  }

  // Calls fn(key, const Value&) for every entry in store order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [k, v] : map_) fn(std::string_view(k.name), v);
  }
  // Appends an entry that must sort after every entry present (restoring a snapshot, which
  // is written in store order); returns false if it does not.
  bool append_in_order(std::string_view key, Value value);

 private:
  using Map = std::map<HashedKey, Value, HashedKeyLess>;
  struct KeyOf {
    std::string_view operator()(const Map::value_type& entry) const { return entry.first.name; }
  };
  // Inserts a key known to be absent, at `hint` in the ordered map.
  Value* insert_new(Map::const_iterator hint, uint64_t hash, std::string_view key, Value value);

  Map map_;
  // Every entry of map_ by the hash of its key (std::map nodes never move, so the pointers
  // stay valid until the key is erased).
  FlatIndex<Map::value_type, KeyOf> index_;
  ExpiryTable expiry_;  // only keys present in map_
  WatchVersions versions_;
  uint64_t change_index_ = 0;
};

}  // namespace raftkv::kv
