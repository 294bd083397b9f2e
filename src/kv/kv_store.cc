#include "kv/kv_store.h"

#include <xxhash.h>

#include <algorithm>
#include <memory>
#include <new>
#include <utility>

#include "kv/byte_codec.h"
#include "kv/glob.h"

namespace raftkv::kv {

uint64_t key_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

const std::string* KvStore::find(std::string_view key) const {
  const Map::value_type* entry = index_.find(key, key_hash(key));
  return entry == nullptr ? nullptr : &entry->second;
}

std::string* KvStore::find(std::string_view key) {
  Map::value_type* entry = index_.find(key, key_hash(key));
  return entry == nullptr ? nullptr : &entry->second;
}

void KvStore::prefetch(std::span<const std::string_view> keys) const {
  constexpr size_t kMaxBatch = 64;  // the caller's batches are smaller; more would evict
  uint64_t hashes[kMaxBatch];
  const Map::value_type* entries[kMaxBatch];
  const size_t n = std::min(keys.size(), kMaxBatch);
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = key_hash(keys[i]);
    index_.prefetch_home(hashes[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    entries[i] = index_.first_with_hash(hashes[i]);
    if (entries[i] != nullptr) __builtin_prefetch(entries[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    if (entries[i] == nullptr) continue;
    __builtin_prefetch(entries[i]->first.name.data());
    __builtin_prefetch(entries[i]->second.data(), 1);
  }
}

std::string* KvStore::insert_new(Map::const_iterator hint, uint64_t hash, std::string_view key,
                                 std::string value) {
  auto it = map_.emplace_hint(hint, Key{hash, std::string(key)}, std::move(value));
  try {
    index_.insert(&*it, hash);
  } catch (...) {
    map_.erase(it);  // keep the two in step if the index cannot grow
    throw;
  }
  return &it->second;
}

bool KvStore::set(std::string_view key, std::string value) {
  if (std::string* current = find(key)) {
    *current = std::move(value);
    return false;
  }
  const KeyRef ref{key_hash(key), key};
  insert_new(map_.lower_bound(ref), ref.hash, key, std::move(value));
  return true;
}

bool KvStore::erase(std::string_view key) {
  const uint64_t hash = key_hash(key);
  if (!index_.erase(key, hash)) return false;
  expiry_.remove(key);
  map_.erase(map_.find(KeyRef{hash, key}));
  return true;
}

const std::string* KvStore::find_live(std::string_view key, uint64_t now) const {
  const std::string* value = find(key);
  if (value == nullptr || expiry_.size() == 0) return value;
  const uint64_t at = expiry_.get(key);
  return at != 0 && at <= now ? nullptr : value;
}

size_t KvStore::purge_expired(uint64_t now, size_t limit) {
  size_t purged = 0;
  while (purged < limit) {
    std::optional<std::string> due = expiry_.first_due(now);
    if (!due) break;
    erase(*due);
    ++purged;
  }
  return purged;
}

KvStore::ScanPage KvStore::scan(uint64_t cursor, size_t count, std::string_view pattern) const {
  ScanPage page;
  auto it = map_.lower_bound(KeyRef{cursor, std::string_view()});
  size_t visited = 0;
  while (it != map_.end() && visited < count) {
    const uint64_t group = it->first.hash;
    for (; it != map_.end() && it->first.hash == group; ++it, ++visited) {
      if (pattern.empty() || glob_match(pattern, it->first.name)) {
        page.keys.push_back(it->first.name);
      }
    }
  }
  // Every group visited had a hash >= cursor, so the next one is > cursor >= 0: a
  // non-final page never returns 0.
  page.next_cursor = it == map_.end() ? 0 : it->first.hash;
  return page;
}

std::string KvStore::digest_hex() const {
  if (map_.empty()) return std::string(32, '0');
  const std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> owner(XXH3_createState(),
                                                                       &XXH3_freeState);
  XXH3_state_t* state = owner.get();
  if (state == nullptr) throw std::bad_alloc();
  XXH3_128bits_reset(state);
  std::string header;
  for (const auto& [k, v] : map_) {
    // Length prefixes keep ("ab","c") and ("a","bc") apart.
    header.clear();
    ByteWriter w(&header);
    w.fixed64(k.name.size());
    w.fixed64(v.size());
    XXH3_128bits_update(state, header.data(), header.size());
    XXH3_128bits_update(state, k.name.data(), k.name.size());
    XXH3_128bits_update(state, v.data(), v.size());
    if (const uint64_t at = expiry_.size() == 0 ? 0 : expiry_.get(k.name); at != 0) {
      // Only keys with a deadline hash one, so digests of data without any are unchanged.
      header.clear();
      ByteWriter(&header).fixed64(at);
      XXH3_128bits_update(state, "\x01", 1);
      XXH3_128bits_update(state, header.data(), header.size());
    }
  }
  const XXH128_hash_t digest = XXH3_128bits_digest(state);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint64_t word : {digest.high64, digest.low64}) {
    for (int shift = 60; shift >= 0; shift -= 4) out.push_back(kHex[(word >> shift) & 0xf]);
  }
  return out;
}

bool KvStore::append_in_order(std::string_view key, std::string value) {
  const KeyRef ref{key_hash(key), key};
  if (!map_.empty() && !Less()(map_.rbegin()->first, ref)) return false;
  insert_new(map_.end(), ref.hash, key, std::move(value));
  return true;
}

}  // namespace raftkv::kv
