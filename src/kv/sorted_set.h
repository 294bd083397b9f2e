// A sorted set's members and scores (ZADD, ZRANGE, ...): each member has one score, and
// the members are ordered by (score, member bytes), as in Redis.
//
// Two indexes in step: by member (ZSCORE, ZADD's "is it new") and by (score, member)
// (ranges, ranks, pops). Both orders depend only on the contents, so iteration is
// canonical on every replica.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace raftkv::kv {

class SortedSet {
 public:
  struct Entry {
    double score;
    std::string member;
  };
  // A probe into the ordered index without copying the member.
  struct EntryRef {
    double score;
    std::string_view member;
  };
  // A probe for a score boundary: sorts before every entry of that score, or after them
  // all (`after_equal`), whatever the member.
  struct ScoreProbe {
    double score;
    bool after_equal;
  };
  struct EntryLess {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      if (a.score != b.score) return a.score < b.score;
      return std::string_view(a.member) < std::string_view(b.member);
    }
    bool operator()(const Entry& a, const ScoreProbe& b) const {
      return a.score < b.score || (a.score == b.score && b.after_equal);
    }
    bool operator()(const ScoreProbe& a, const Entry& b) const {
      return a.score < b.score || (a.score == b.score && !a.after_equal);
    }
  };
  using Order = std::set<Entry, EntryLess>;

  std::optional<double> score(std::string_view member) const;
  // Gives `member` this score (never NaN); returns true when the member is new.
  bool set(std::string_view member, double score);
  bool erase(std::string_view member);
  size_t size() const { return by_member_.size(); }
  bool empty() const { return by_member_.empty(); }

  // Ascending (score, member).
  const Order& by_score() const { return by_score_; }
  // The member's 0-based position in ascending order (O(rank)); nothing if absent.
  std::optional<size_t> rank(std::string_view member) const;
  // Removes the entry at `it` (an iterator into by_score()); returns the next one.
  Order::const_iterator erase(Order::const_iterator it);

  // Whether Redis 7.0 would hold this sorted set as a skiplist (else a listpack). Adding a
  // member past zset-max-listpack-entries or longer than zset-max-listpack-value converts
  // it for good; a set Redis builds whole (a *STORE result, RESTORE) gets the encoding its
  // contents call for (derive_encoding).
  bool skiplist() const { return skiplist_; }
  void convert_to_skiplist() { skiplist_ = true; }
  void derive_encoding();

 private:
  std::map<std::string, double, std::less<>> by_member_;
  Order by_score_;
  bool skiplist_ = false;
};

}  // namespace raftkv::kv
