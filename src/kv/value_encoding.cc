#include "kv/value_encoding.h"

#include <string>

#include "kv/int_parse.h"

namespace raftkv::kv {

bool is_int_string(std::string_view s) {
  // Redis stores a string as an integer when it is one, in canonical form, of at most 20
  // characters.
  if (s.empty() || s.size() > 20) return false;
  const auto parsed = parse_int64(s);
  return parsed && std::to_string(*parsed) == s;
}

namespace {

template <typename Range, typename Fits>
bool all_of_range(const Range& range, Fits&& fits) {
  for (const auto& element : range) {
    if (!fits(element)) return false;
  }
  return true;
}

}  // namespace

std::string_view encoding_of(const Value& value) {
  constexpr size_t kListpackEntries = 128;  // hash- and zset-max-listpack-entries
  constexpr size_t kListpackValue = 64;     // hash- and zset-max-listpack-value
  constexpr size_t kIntsetEntries = 512;    // set-max-intset-entries
  if (const auto* s = std::get_if<std::string>(&value)) {
    if (is_int_string(*s)) return "int";
    return s->size() <= 44 ? "embstr" : "raw";
  }
  if (const auto* hash = collection_of<HashValue>(&value)) {
    const bool small =
        hash->size() <= kListpackEntries && all_of_range(*hash, [&](const auto& f) {
          return f.first.size() <= kListpackValue && f.second.size() <= kListpackValue;
        });
    return small ? "listpack" : "hashtable";
  }
  if (collection_of<ListValue>(&value) != nullptr) return "quicklist";
  if (const auto* set = collection_of<SetValue>(&value)) {
    const bool ints = set->size() <= kIntsetEntries &&
                      all_of_range(*set, [](const HashedKey& m) { return is_int_string(m.name); });
    return ints ? "intset" : "hashtable";
  }
  if (const auto* zset = collection_of<SortedSet>(&value)) {
    const bool small =
        zset->size() <= kListpackEntries && all_of_range(zset->by_score(), [&](const auto& e) {
          return e.member.size() <= kListpackValue;
        });
    return small ? "listpack" : "skiplist";
  }
  return "stream";
}

}  // namespace raftkv::kv
