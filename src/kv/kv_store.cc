#include "kv/kv_store.h"

#include <xxhash.h>

#include <algorithm>
#include <memory>
#include <new>
#include <utility>

#include "kv/byte_codec.h"
#include "kv/glob.h"
#include "kv/hash_order_scan.h"
#include "kv/value_codec.h"

namespace raftkv::kv {

const Value* KvStore::find(std::string_view key) const {
  const Map::value_type* entry = index_.find(key, key_hash(key));
  return entry == nullptr ? nullptr : &entry->second;
}

Value* KvStore::find(std::string_view key) {
  const uint64_t hash = key_hash(key);
  versions_.touch(hash, change_index_);
  Map::value_type* entry = index_.find(key, hash);
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
    // A string value's bytes (collections are not on the hot path this serves).
    if (const auto* str = std::get_if<StringValue>(&entries[i]->second)) {
      __builtin_prefetch(str->data(), 1);
    }
  }
}

Value* KvStore::insert_new(Map::const_iterator hint, uint64_t hash, std::string_view key,
                           Value value) {
  versions_.touch(hash, change_index_);
  auto it = map_.emplace_hint(hint, HashedKey{hash, std::string(key)}, std::move(value));
  try {
    index_.insert(&*it, hash);
  } catch (...) {
    map_.erase(it);  // keep the two in step if the index cannot grow
    throw;
  }
  return &it->second;
}

bool KvStore::set(std::string_view key, Value value) {
  if (Value* current = find(key)) {
    *current = std::move(value);
    if (auto* s = std::get_if<StringValue>(current)) release_spare(s);
    return false;
  }
  const auto ref = HashedKeyRef::of(key);
  insert_new(map_.lower_bound(ref), ref.hash, key, std::move(value));
  return true;
}

Value* KvStore::put(std::string_view key, Value value) {
  if (Value* current = find(key)) {
    *current = std::move(value);
    if (auto* s = std::get_if<StringValue>(current)) release_spare(s);
    return current;
  }
  const auto ref = HashedKeyRef::of(key);
  return insert_new(map_.lower_bound(ref), ref.hash, key, std::move(value));
}

bool KvStore::erase(std::string_view key) {
  const uint64_t hash = key_hash(key);
  versions_.touch(hash, change_index_);
  if (!index_.erase(key, hash)) return false;
  expiry_.remove(key);
  map_.erase(map_.find(HashedKeyRef{hash, key}));
  return true;
}

const Value* KvStore::find_live(std::string_view key, uint64_t now) const {
  const Value* value = find(key);
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
  page.next_cursor = scan_hash_ordered(
      map_, cursor, count,
      [](const Map::value_type& entry) -> const HashedKey& { return entry.first; },
      [&](const Map::value_type& entry) {
        if (pattern.empty() || glob_match(pattern, entry.first.name)) {
          page.keys.push_back(entry.first.name);
        }
      });
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
  std::string encoded;  // a collection's canonical bytes
  for (const auto& [k, v] : map_) {
    // Strings hash their bytes; collections their canonical encoding, with the type in the
    // top byte of the length word (a string's length never reaches it), so digests of
    // string-only data are the same as before typed values.
    std::string_view bytes;
    uint64_t type_bits = 0;
    if (const auto* s = std::get_if<StringValue>(&v)) {
      bytes = *s;
    } else {
      encoded.clear();
      ByteWriter ew(&encoded);
      encode_value(v, &ew);
      bytes = encoded;
      type_bits = uint64_t{static_cast<uint8_t>(type_of(v))} << 56;
    }
    // Length prefixes keep ("ab","c") and ("a","bc") apart.
    header.clear();
    ByteWriter w(&header);
    w.fixed64(k.name.size());
    w.fixed64(bytes.size() | type_bits);
    XXH3_128bits_update(state, header.data(), header.size());
    XXH3_128bits_update(state, k.name.data(), k.name.size());
    XXH3_128bits_update(state, bytes.data(), bytes.size());
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

bool KvStore::append_in_order(std::string_view key, Value value) {
  const auto ref = HashedKeyRef::of(key);
  if (!map_.empty() && !HashedKeyLess()(map_.rbegin()->first, ref)) return false;
  insert_new(map_.end(), ref.hash, key, std::move(value));
  return true;
}

}  // namespace raftkv::kv
