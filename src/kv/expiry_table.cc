#include "kv/expiry_table.h"

namespace raftkv::kv {

uint64_t ExpiryTable::get(std::string_view key) const {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? 0 : it->second;
}

void ExpiryTable::set(std::string_view key, uint64_t at) {
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    by_deadline_.erase({it->second, it->first});
    it->second = at;
  } else {
    it = by_key_.emplace(std::string(key), at).first;
  }
  by_deadline_.emplace(at, it->first);
}

bool ExpiryTable::remove(std::string_view key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return false;
  by_deadline_.erase({it->second, it->first});
  by_key_.erase(it);
  return true;
}

void ExpiryTable::clear() {
  by_key_.clear();
  by_deadline_.clear();
}

std::optional<std::string> ExpiryTable::first_due(uint64_t now) const {
  if (by_deadline_.empty() || by_deadline_.begin()->first > now) return std::nullopt;
  return by_deadline_.begin()->second;
}

bool ExpiryTable::any_due_between(uint64_t after, uint64_t upto) const {
  if (after >= upto) return false;
  auto it = by_deadline_.lower_bound({after + 1, std::string()});
  return it != by_deadline_.end() && it->first <= upto;
}

}  // namespace raftkv::kv
