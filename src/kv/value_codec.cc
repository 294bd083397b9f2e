#include "kv/value_codec.h"

#include <bit>
#include <cmath>
#include <utility>

#include "kv/stream_codec.h"

namespace raftkv::kv {

namespace {

struct Encoder {
  ByteWriter* out;

  void operator()(const std::string& s) const { out->bytes(s); }
  void operator()(const std::unique_ptr<HashValue>& hash) const {
    out->varint(hash->size());
    for (const auto& [field, value] : *hash) {
      out->bytes(field);
      out->bytes(value);
    }
  }
  void operator()(const std::unique_ptr<ListValue>& list) const {
    out->varint(list->size());
    for (const auto& element : *list) out->bytes(element);
  }
  void operator()(const std::unique_ptr<SetValue>& set) const {
    out->varint(set->size());
    for (const auto& member : *set) out->bytes(member.name);
  }
  void operator()(const std::unique_ptr<SortedSet>& zset) const {
    out->varint(zset->size());
    for (const auto& entry : zset->by_score()) {
      out->bytes(entry.member);
      out->fixed64(std::bit_cast<uint64_t>(entry.score));
    }
  }
  void operator()(const std::unique_ptr<Stream>& stream) const { encode_stream(*stream, out); }
};

// The element count of a collection: at least 1, and each element takes at least one byte.
std::optional<uint64_t> read_count(ByteReader* in) {
  uint64_t count = 0;
  if (!in->varint(&count) || count == 0 || count > in->remaining()) return std::nullopt;
  return count;
}

// A collection of `count` elements, each read and added by add_one(in, collection), which
// returns false on malformed or out-of-order input.
template <typename T, typename AddOne>
std::optional<Value> decode_collection(ByteReader* in, AddOne add_one) {
  const auto count = read_count(in);
  if (!count) return std::nullopt;
  auto collection = std::make_unique<T>();
  for (uint64_t i = 0; i < *count; ++i) {
    if (!add_one(in, *collection)) return std::nullopt;
  }
  return Value(std::move(collection));
}

bool add_hash_field(ByteReader* in, HashValue& hash) {
  std::string_view field;
  std::string_view value;
  if (!in->bytes(&field) || !in->bytes(&value)) return false;
  if (!hash.empty() && !(hash.rbegin()->first < field)) return false;
  hash.emplace_hint(hash.end(), std::string(field), std::string(value));
  return true;
}

bool add_list_element(ByteReader* in, ListValue& list) {
  std::string_view element;
  if (!in->bytes(&element)) return false;
  list.emplace_back(element);
  return true;
}

bool add_set_member(ByteReader* in, SetValue& set) {
  std::string_view member;
  if (!in->bytes(&member)) return false;
  const auto ref = HashedKeyRef::of(member);
  if (!set.empty() && !HashedKeyLess()(*set.rbegin(), ref)) return false;
  set.emplace_hint(set.end(), HashedKey{ref.hash, std::string(member)});
  return true;
}

bool add_zset_entry(ByteReader* in, SortedSet& zset) {
  std::string_view member;
  uint64_t bits = 0;
  if (!in->bytes(&member) || !in->fixed64(&bits)) return false;
  const auto score = std::bit_cast<double>(bits);
  if (std::isnan(score)) return false;
  const SortedSet::EntryRef entry{score, member};
  if (!zset.empty() && !SortedSet::EntryLess()(*zset.by_score().rbegin(), entry)) return false;
  return zset.set(member, score);  // false: the member twice
}

}  // namespace

void encode_value(const Value& value, ByteWriter* out) {
  std::visit(Encoder{out}, value);
}

std::optional<Value> decode_value(ValueType type, ByteReader* in) {
  switch (type) {
    case ValueType::kString: {
      std::string_view bytes;
      if (!in->bytes(&bytes)) return std::nullopt;
      return Value(std::string(bytes));
    }
    case ValueType::kHash:
      return decode_collection<HashValue>(in, add_hash_field);
    case ValueType::kList:
      return decode_collection<ListValue>(in, add_list_element);
    case ValueType::kSet:
      return decode_collection<SetValue>(in, add_set_member);
    case ValueType::kZSet:
      return decode_collection<SortedSet>(in, add_zset_entry);
    case ValueType::kStream: {
      auto stream = decode_stream(in);
      if (!stream) return std::nullopt;
      return Value(std::move(stream));
    }
  }
  return std::nullopt;
}

}  // namespace raftkv::kv
