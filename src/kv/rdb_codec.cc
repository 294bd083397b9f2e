#include "kv/rdb_codec.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "kv/float_format.h"
#include "kv/rdb_primitives.h"
#include "kv/rdb_stream.h"
#include "kv/value_encoding.h"

namespace raftkv::kv {

namespace {

using Elements = std::vector<std::string>;

// Redis's list-max-listpack-size default (-2): nodes of at most 8 kB.
constexpr size_t kListNodeBytes = 8192;
constexpr uint64_t kQuicklistPlain = 1;
constexpr uint64_t kQuicklistPacked = 2;

void put(RdbWriter* out, RdbType type) {
  out->u8(static_cast<uint8_t>(type));
}

// A score as Redis's d2string writes it into a listpack: integral values within 2^52 as
// integers, others as "%.17g".
std::string score_text(double score) {
  constexpr double kLimit = 4503599627370496.0;  // 2^52
  if (score > -kLimit && score < kLimit && score == std::trunc(score)) {
    return std::to_string(static_cast<int64_t>(score));
  }
  return format_double(score);
}

void encode_list(const ListValue& list, RdbWriter* out) {
  std::vector<std::string> nodes;
  ListpackWriter node;
  size_t in_node = 0;
  for (const std::string& element : list) {
    if (in_node > 0 && node.bytes() + element.size() + 11 > kListNodeBytes) {
      nodes.push_back(node.finish());
      node = ListpackWriter();
      in_node = 0;
    }
    node.append(element);
    ++in_node;
  }
  nodes.push_back(node.finish());
  put(out, RdbType::kListQuicklist2);
  out->length(nodes.size());
  for (const std::string& blob : nodes) {
    out->length(kQuicklistPacked);
    out->blob(blob);
  }
}

void encode_set(const SetValue& set, bool intset, RdbWriter* out) {
  if (intset) {
    std::vector<int64_t> ints;
    for (const HashedKey& member : set) ints.push_back(*canonical_int(member.name));
    std::sort(ints.begin(), ints.end());
    put(out, RdbType::kSetIntset);
    return out->blob(build_intset(ints));
  }
  put(out, RdbType::kSet);
  out->length(set.size());
  for (const HashedKey& member : set) out->string(member.name);
}

void encode_hash(const HashValue& hash, bool listpack, RdbWriter* out) {
  if (listpack) {
    ListpackWriter lp;
    for (const auto& [field, value] : hash) {
      lp.append(field);
      lp.append(value);
    }
    put(out, RdbType::kHashListpack);
    return out->blob(lp.finish());
  }
  put(out, RdbType::kHash);
  out->length(hash.size());
  for (const auto& [field, value] : hash) {
    out->string(field);
    out->string(value);
  }
}

void encode_zset(const SortedSet& zset, bool listpack, RdbWriter* out) {
  if (listpack) {
    ListpackWriter lp;
    for (const auto& entry : zset.by_score()) {
      lp.append(entry.member);
      lp.append(score_text(entry.score));
    }
    put(out, RdbType::kZsetListpack);
    return out->blob(lp.finish());
  }
  put(out, RdbType::kZset2);
  out->length(zset.size());
  // Highest score first, as Redis writes skiplists (loading then inserts at the head).
  for (auto it = zset.by_score().rbegin(); it != zset.by_score().rend(); ++it) {
    out->string(it->member);
    out->binary_double(it->score);
  }
}

}  // namespace

std::string encode_rdb_value(const Value& value) {
  std::string bytes;
  RdbWriter out(&bytes);
  const std::string_view encoding = encoding_of(value);
  if (const auto* s = std::get_if<StringValue>(&value)) {
    put(&out, RdbType::kString);
    out.string(*s);
  } else if (const auto* hash = collection_of<HashValue>(&value)) {
    encode_hash(*hash, encoding == "listpack", &out);
  } else if (const auto* list = collection_of<ListValue>(&value)) {
    encode_list(*list, &out);
  } else if (const auto* set = collection_of<SetValue>(&value)) {
    encode_set(*set, encoding == "intset", &out);
  } else if (const auto* zset = collection_of<SortedSet>(&value)) {
    encode_zset(*zset, encoding == "listpack", &out);
  } else if (const auto* stream = collection_of<Stream>(&value)) {
    put(&out, RdbType::kStreamListpacks2);
    encode_rdb_stream(*stream, &out);
  }
  return bytes;
}

}  // namespace raftkv::kv
