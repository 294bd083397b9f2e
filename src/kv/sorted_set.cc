#include "kv/sorted_set.h"

#include <algorithm>
#include <iterator>

namespace raftkv::kv {

namespace {

constexpr size_t kZsetListpackEntries = 128;  // zset-max-listpack-entries
constexpr size_t kZsetListpackValue = 64;     // zset-max-listpack-value

}  // namespace

std::optional<double> SortedSet::score(std::string_view member) const {
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return std::nullopt;
  return it->second;
}

bool SortedSet::set(std::string_view member, double score) {
  // Redis's small sorted sets store -0 as the integer 0, so it reads back as "0"; one zero
  // also keeps equal-looking states byte-identical.
  if (score == 0) score = 0;
  auto it = by_member_.find(member);
  if (it != by_member_.end()) {
    if (it->second == score) return false;
    by_score_.erase(by_score_.find(EntryRef{it->second, member}));
    it->second = score;
    by_score_.insert(Entry{score, std::string(member)});
    return false;
  }
  by_member_.emplace(std::string(member), score);
  by_score_.insert(Entry{score, std::string(member)});
  if (by_member_.size() > kZsetListpackEntries || member.size() > kZsetListpackValue) {
    skiplist_ = true;
  }
  return true;
}

void SortedSet::derive_encoding() {
  skiplist_ = by_member_.size() > kZsetListpackEntries ||
              std::any_of(by_member_.begin(), by_member_.end(), [](const auto& entry) {
                return entry.first.size() > kZsetListpackValue;
              });
}

bool SortedSet::erase(std::string_view member) {
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return false;
  by_score_.erase(by_score_.find(EntryRef{it->second, member}));
  by_member_.erase(it);
  return true;
}

SortedSet::Order::const_iterator SortedSet::erase(Order::const_iterator it) {
  by_member_.erase(by_member_.find(it->member));
  return by_score_.erase(it);
}

std::optional<size_t> SortedSet::rank(std::string_view member) const {
  auto it = by_member_.find(member);
  if (it == by_member_.end()) return std::nullopt;
  return static_cast<size_t>(
      std::distance(by_score_.begin(), by_score_.find(EntryRef{it->second, member})));
}

}  // namespace raftkv::kv
