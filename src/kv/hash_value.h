// HSET and friends: field → value, in the order the fields were added.
//
// Redis 7.0 keeps a small hash (at most hash-max-listpack-entries fields, 512 by default, none
// of its fields or values longer than hash-max-listpack-value, 64 bytes) as a listpack: its replies
// (HGETALL, HKEYS, HSCAN, DUMP, ...) list the fields in the order they were added, an update
// leaving a field where it is. Past either limit it converts the hash to a hashtable for good,
// whose order is effectively random; raftkv keeps insertion order there too. So the order depends
// only on the commands applied, the same on every replica, and snapshots keep it.
//
// Lookups go through a hash index of the entries; the entries live in a list, so removing
// one is O(1) and the index's views of the field names stay valid.
#pragma once

#include <cstddef>
#include <iterator>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace raftkv::kv {

inline constexpr size_t kHashListpackEntries = 512;  // hash-max-listpack-entries
inline constexpr size_t kListpackValue = 64;         // hash- and zset-max-listpack-value

class HashValue {
 public:
  using value_type = std::pair<const std::string, std::string>;
  using iterator = std::list<value_type>::iterator;
  using const_iterator = std::list<value_type>::const_iterator;

  HashValue() = default;
  // The index points into the entries: a copy would point into the original.
  HashValue(const HashValue&) = delete;
  HashValue& operator=(const HashValue&) = delete;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }

  iterator find(std::string_view field) {
    const auto it = index_.find(field);
    return it == index_.end() ? entries_.end() : it->second;
  }
  const_iterator find(std::string_view field) const {
    const auto it = index_.find(field);
    return it == index_.end() ? entries_.end() : const_iterator(it->second);
  }

  // Adds the field at the end unless it is present (HSETNX); returns where it is and
  // whether it was added. An addition converts to a hashtable as Redis does.
  std::pair<iterator, bool> try_emplace(std::string_view field, std::string_view value) {
    if (const auto it = index_.find(field); it != index_.end()) return {it->second, false};
    note_lengths(field, value);
    entries_.emplace_back(std::string(field), std::string(value));
    const auto added = std::prev(entries_.end());
    index_.emplace(std::string_view(added->first), added);
    if (entries_.size() > kHashListpackEntries) hashtable_ = true;
    return {added, true};
  }
  // Sets the field, in place when present (HSET); returns whether it was added. Like
  // Redis, converts to a hashtable on a long field or value even when only updating.
  bool set(std::string_view field, std::string_view value);

  // Removes the field; returns how many were removed (0 or 1).
  size_t erase(std::string_view field) {
    const auto it = index_.find(field);
    if (it == index_.end()) return 0;
    const iterator entry = it->second;
    index_.erase(it);
    entries_.erase(entry);
    return 1;
  }

  // Whether Redis would hold this hash as a hashtable (else a listpack).
  bool hashtable() const { return hashtable_; }
  void convert_to_hashtable() { hashtable_ = true; }
  void note_lengths(std::string_view field, std::string_view value) {
    if (field.size() > kListpackValue || value.size() > kListpackValue) hashtable_ = true;
  }

 private:
  std::list<value_type> entries_;
  std::unordered_map<std::string_view, iterator> index_;
  bool hashtable_ = false;
};

}  // namespace raftkv::kv
