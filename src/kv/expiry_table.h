// Key deadlines (Redis EXPIRE/TTL), in log time: Unix milliseconds taken from the log
// entries themselves (LogCommand::time_ms), never from a replica's own clock, so every
// replica expires the same keys at the same point of the log.
//
// Kept by key (lookups, canonical order for snapshots and digests) and by deadline (to find
// what is due without scanning every key).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace raftkv::kv {

class ExpiryTable {
 public:
  // The key's deadline, or 0 when it has none.
  uint64_t get(std::string_view key) const;
  // Sets (or moves) the key's deadline; `at` must be > 0.
  void set(std::string_view key, uint64_t at);
  // Removes the key's deadline; false if it had none.
  bool remove(std::string_view key);
  void clear();
  size_t size() const { return by_key_.size(); }
  // The key whose deadline comes first, if that deadline is <= now.
  std::optional<std::string> first_due(uint64_t now) const;
  // Some key's deadline is in (after, upto].
  bool any_due_between(uint64_t after, uint64_t upto) const;

  // Calls fn(key, deadline) in key order.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (const auto& [key, at] : by_key_) fn(std::string_view(key), at);
  }

 private:
  std::map<std::string, uint64_t, std::less<>> by_key_;
  std::set<std::pair<uint64_t, std::string>> by_deadline_;
};

}  // namespace raftkv::kv
