#include "kv/value_encoding.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

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

bool fits_intset(const SetValue& set) {
  return set.size() <= kIntsetEntries &&
         all_of_range(set, [](const HashedKey& m) { return is_int_string(m.name); });
}

void note_set_member_added(SetValue* set, std::string_view member) {
  if (!set->hashtable && (set->size() > kIntsetEntries || !is_int_string(member))) {
    set->hashtable = true;
  }
}

std::vector<const HashedKey*> set_reply_order(const SetValue& set, bool intset) {
  std::vector<const HashedKey*> members;
  members.reserve(set.size());
  for (const HashedKey& member : set) members.push_back(&member);
  if (!intset) return members;
  std::vector<std::pair<int64_t, const HashedKey*>> numbered;
  numbered.reserve(members.size());
  for (const HashedKey* member : members) numbered.emplace_back(*parse_int64(member->name), member);
  std::sort(numbered.begin(), numbered.end());
  for (size_t i = 0; i < numbered.size(); ++i) members[i] = numbered[i].second;
  return members;
}

std::string_view encoding_of(const Value& value) {
  if (const auto* s = std::get_if<StringValue>(&value)) {
    constexpr size_t kEmbstrLimit = 44;  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
    switch (s->encoding) {
      case StringEncoding::kAsSet:
        if (is_int_string(*s)) return "int";
        return s->size() <= kEmbstrLimit ? "embstr" : "raw";
      case StringEncoding::kNoInt:
        return s->size() <= kEmbstrLimit ? "embstr" : "raw";
      case StringEncoding::kRaw:
        return "raw";
    }
  }
  if (const auto* hash = collection_of<HashValue>(&value)) {
    return hash->hashtable() ? "hashtable" : "listpack";
  }
  if (collection_of<ListValue>(&value) != nullptr) return "quicklist";
  if (const auto* set = collection_of<SetValue>(&value)) {
    return set->hashtable ? "hashtable" : "intset";
  }
  if (const auto* zset = collection_of<SortedSet>(&value)) {
    return zset->skiplist() ? "skiplist" : "listpack";
  }
  return "stream";
}

}  // namespace raftkv::kv
