#include "kv/sorted_set.h"

#include <iterator>

namespace raftkv::kv {

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
  return true;
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
