// decode_rdb_value (rdb_codec.h): every RDB value type Redis 7.0 loads but zipmaps and
// modules. Anything malformed, repeated (a set member, hash field or zset member twice) or
// empty is refused as a whole: RESTORE then creates nothing.
#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "kv/float_format.h"
#include "kv/rdb_codec.h"
#include "kv/rdb_primitives.h"
#include "kv/rdb_stream.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

namespace {

using Elements = std::vector<std::string>;
using Decoded = std::optional<Value>;

Decoded list_of(Elements elements) {
  if (elements.empty()) return std::nullopt;
  auto list = std::make_unique<ListValue>(std::make_move_iterator(elements.begin()),
                                          std::make_move_iterator(elements.end()));
  return Value(std::move(list));
}

Decoded set_of(Elements elements) {
  if (elements.empty()) return std::nullopt;
  auto set = std::make_unique<SetValue>();
  for (std::string& member : elements) {
    const uint64_t hash = key_hash(member);
    if (!set->insert(HashedKey{hash, std::move(member)}).second) return std::nullopt;
  }
  set->hashtable = !fits_intset(*set);  // as Redis loads it, whatever the payload's type
  return Value(std::move(set));
}

Decoded hash_of(Elements pairs) {
  if (pairs.empty() || pairs.size() % 2 != 0) return std::nullopt;
  auto hash = std::make_unique<HashValue>();
  for (size_t i = 0; i < pairs.size(); i += 2) {
    // Redis converts a listpack with long fields or values, or too many, to a hashtable.
    if (!hash->try_emplace(pairs[i], pairs[i + 1]).second) return std::nullopt;
  }
  return Value(std::move(hash));
}

// Member, score, member, score, ... with the scores as text (ziplists and listpacks).
Decoded zset_of(const Elements& pairs) {
  if (pairs.empty() || pairs.size() % 2 != 0) return std::nullopt;
  auto zset = std::make_unique<SortedSet>();
  for (size_t i = 0; i < pairs.size(); i += 2) {
    const auto score = parse_double(pairs[i + 1]);
    if (!score || !zset->set(pairs[i], *score)) return std::nullopt;
  }
  return Value(std::move(zset));
}

// Types 1, 2 and 4: a count, then `per_item` strings per item.
std::optional<Elements> counted_strings(RdbReader& in, size_t per_item) {
  uint64_t count = 0;
  if (!in.count(&count, per_item)) return std::nullopt;
  Elements out;
  out.reserve(std::min<uint64_t>(count * per_item, 1024));  // the count is not trusted yet
  for (uint64_t i = 0; i < count * per_item; ++i) {
    if (!in.string(&out.emplace_back())) return std::nullopt;
  }
  return out;
}

// Types 3 and 5: a count, then member and score (ASCII or binary).
Decoded counted_zset(RdbReader& in, bool binary) {
  uint64_t count = 0;
  if (!in.count(&count, 2) || count == 0) return std::nullopt;
  auto zset = std::make_unique<SortedSet>();
  for (uint64_t i = 0; i < count; ++i) {
    std::string member;
    double score = 0;
    if (!in.string(&member) || !(binary ? in.binary_double(&score) : in.ascii_double(&score))) {
      return std::nullopt;
    }
    if (std::isnan(score) || !zset->set(member, score)) return std::nullopt;
  }
  return Value(std::move(zset));
}

// A string holding a compact blob, parsed by `parse`.
template <typename Parse>
std::optional<Elements> blob_elements(RdbReader& in, Parse&& parse) {
  std::string blob;
  if (!in.string(&blob)) return std::nullopt;
  return parse(blob);
}

// Types 14 (ziplist nodes) and 18 (listpack or plain nodes, each with its container kind).
Decoded quicklist(RdbReader& in, bool v2) {
  constexpr uint64_t kPlain = 1;
  constexpr uint64_t kPacked = 2;
  uint64_t nodes = 0;
  if (!in.count(&nodes)) return std::nullopt;
  Elements all;
  for (uint64_t i = 0; i < nodes; ++i) {
    uint64_t container = kPacked;
    if (v2 && (!in.length(&container) || (container != kPlain && container != kPacked))) {
      return std::nullopt;
    }
    std::string blob;
    if (!in.string(&blob)) return std::nullopt;
    if (container == kPlain) {
      all.push_back(std::move(blob));
      continue;
    }
    auto elements = v2 ? parse_listpack(blob) : parse_ziplist(blob);
    if (!elements) return std::nullopt;
    // Redis skips empty nodes silently; an empty list is refused below.
    for (std::string& e : *elements) all.push_back(std::move(e));
  }
  return list_of(std::move(all));
}

template <typename Build>
Decoded build(std::optional<Elements> elements, Build&& make) {
  if (!elements) return std::nullopt;
  return make(std::move(*elements));
}

Decoded decode_collection(RdbType type, RdbReader& in) {
  switch (type) {
    case RdbType::kList:
      return build(counted_strings(in, 1), list_of);
    case RdbType::kSet:
      return build(counted_strings(in, 1), set_of);
    case RdbType::kHash:
      return build(counted_strings(in, 2), hash_of);
    case RdbType::kZset:
      return counted_zset(in, false);
    case RdbType::kZset2:
      return counted_zset(in, true);
    case RdbType::kListZiplist:
      return build(blob_elements(in, parse_ziplist), list_of);
    case RdbType::kSetIntset:
      return build(blob_elements(in, parse_intset), set_of);
    case RdbType::kZsetZiplist:
      return build(blob_elements(in, parse_ziplist), zset_of);
    case RdbType::kHashZiplist:
      return build(blob_elements(in, parse_ziplist), hash_of);
    case RdbType::kHashListpack:
      return build(blob_elements(in, parse_listpack), hash_of);
    case RdbType::kZsetListpack:
      return build(blob_elements(in, parse_listpack), zset_of);
    case RdbType::kListQuicklist:
    case RdbType::kListQuicklist2:
      return quicklist(in, type == RdbType::kListQuicklist2);
    case RdbType::kStreamListpacks:
    case RdbType::kStreamListpacks2:
      return decode_rdb_stream(&in, type == RdbType::kStreamListpacks2);
    default:
      return std::nullopt;  // zipmaps, modules and unknown types
  }
}

}  // namespace

std::optional<Value> decode_rdb_value(std::string_view body) {
  RdbReader in(body);
  uint8_t type = 0;
  if (!in.u8(&type)) return std::nullopt;
  if (static_cast<RdbType>(type) == RdbType::kString) {
    std::string s;
    if (!in.string(&s)) return std::nullopt;
    return Value(std::move(s));
  }
  return decode_collection(static_cast<RdbType>(type), in);
}

}  // namespace raftkv::kv
