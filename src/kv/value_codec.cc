#include "kv/value_codec.h"

#include <bit>
#include <cmath>
#include <iterator>
#include <utility>

#include "kv/stream_codec.h"
#include "kv/value_encoding.h"

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

// `sorted`: the fields must come in byte order (snapshots before RKVSNAP8, canonical then).
bool add_hash_field(ByteReader* in, bool sorted, HashValue& hash) {
  std::string_view field;
  std::string_view value;
  if (!in->bytes(&field) || !in->bytes(&value)) return false;
  if (sorted && !hash.empty() && !(std::prev(hash.end())->first < field)) return false;
  return hash.try_emplace(field, value).second;  // no field twice
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

std::optional<Value> decode_value(ValueType type, ByteReader* in, bool sorted_hash) {
  switch (type) {
    case ValueType::kString: {
      std::string_view bytes;
      if (!in->bytes(&bytes)) return std::nullopt;
      return Value(StringValue(std::string(bytes)));
    }
    case ValueType::kHash:
      return decode_collection<HashValue>(
          in, [&](ByteReader* r, HashValue& hash) { return add_hash_field(r, sorted_hash, hash); });
    case ValueType::kList:
      return decode_collection<ListValue>(in, add_list_element);
    case ValueType::kSet: {
      auto set = decode_collection<SetValue>(in, add_set_member);
      if (set) {  // an intset if it can be one, until restore_encoding_state says otherwise
        SetValue* members = collection_of<SetValue>(&*set);
        members->hashtable = !fits_intset(*members);
      }
      return set;
    }
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

uint8_t encoding_state(const Value& value) {
  if (const auto* s = std::get_if<StringValue>(&value)) return static_cast<uint8_t>(s->encoding);
  if (const auto* set = collection_of<SetValue>(&value)) return set->hashtable ? 1 : 0;
  if (const auto* hash = collection_of<HashValue>(&value)) return hash->hashtable() ? 1 : 0;
  if (const auto* zset = collection_of<SortedSet>(&value)) return zset->skiplist() ? 1 : 0;
  return 0;
}

bool restore_encoding_state(uint8_t state, Value* value) {
  if (auto* s = std::get_if<StringValue>(value)) {
    if (state >= kStringEncodings) return false;
    s->encoding = static_cast<StringEncoding>(state);
    return true;
  }
  // A set or hash that had to be a hashtable cannot be saved as anything else.
  if (auto* set = collection_of<SetValue>(value)) {
    if (state > 1 || (state == 0 && set->hashtable)) return false;
    set->hashtable = state == 1;
    return true;
  }
  if (auto* hash = collection_of<HashValue>(value)) {
    if (state > 1 || (state == 0 && hash->hashtable())) return false;
    if (state == 1) hash->convert_to_hashtable();
    return true;
  }
  if (auto* zset = collection_of<SortedSet>(value)) {
    if (state > 1 || (state == 0 && zset->skiplist())) return false;
    if (state == 1) zset->convert_to_skiplist();
    return true;
  }
  return state == 0;
}

}  // namespace raftkv::kv
