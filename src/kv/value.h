// What a key holds: a string, or one of Redis's collection types.
//
// Strings are stored inline in the variant, so the string fast path (GET, SET) allocates
// and looks up exactly as it did before typed values; collections live behind a
// unique_ptr so that they do not make every string entry larger. Every collection's
// order depends only on its contents or the commands applied (sets, lists, hash insertion
// order), so replicas given the same log agree, and so do their snapshots and digests.
//
// A key never holds an empty collection: commands that empty one delete the key, as in
// Redis. Streams are the exception, also as in Redis: a stream key stays when its last entry
// goes (it keeps its last ID, counters and groups).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "kv/hash_value.h"
#include "kv/hashed_key.h"
#include "kv/sorted_set.h"
#include "kv/stream.h"
#include "kv/value_type.h"

namespace raftkv::kv {

// LPUSH and friends.
using ListValue = std::deque<std::string>;
// SADD and friends: members in (hash, bytes) order (see hashed_key.h; SPOP picks by hash).
// Redis 7.0 holds a set of integers (at most set-max-intset-entries of them) as an intset,
// which replies in ascending numeric order, and converts it to a hashtable for good when a
// member that is not an integer, or one too many, is added. `hashtable` records that
// conversion; value_encoding.h keeps it up to date and gives the reply order.
struct SetValue : std::set<HashedKey, HashedKeyLess> {
  using std::set<HashedKey, HashedKeyLess>::set;
  bool hashtable = false;
};

// Stores `bytes` in `s`, giving back the old buffer when it is much larger than needed:
// std::string keeps its capacity when assigned a shorter value (or a short moved one), so
// after a 100 kB value a 10-byte overwrite would still hold 100 kB (and MEMORY USAGE, which
// counts capacity, would say so). Growing values keep the usual amortized doubling.
inline void assign_string(std::string* s, std::string_view bytes) {
  if (s->capacity() / 2 > bytes.size() + 16) {
    std::string(bytes).swap(*s);
  } else {
    s->assign(bytes);
  }
}
// The same after the value was changed in place (moved into, truncated).
inline void release_spare(std::string* s) {
  if (s->capacity() / 2 > s->size() + 16) std::string(*s).swap(*s);
}

inline bool HashValue::set(std::string_view field, std::string_view value) {
  note_lengths(field, value);
  const auto [it, added] = try_emplace(field, value);
  if (!added) assign_string(&it->second, value);
  return added;
}

// What a string's OBJECT ENCODING depends on besides its bytes: how it was last made.
enum class StringEncoding : uint8_t {
  kAsSet,  // SET, MSET, GETSET, RESTORE, INCR, ... (tryObjectEncoding): int, embstr or raw
  kNoInt,  // INCRBYFLOAT (a new object from the number): embstr up to 44 bytes, else raw
  kRaw,    // changed in place (APPEND, SETRANGE, SETBIT, ...) or built (BITOP, PFADD): raw
};
inline constexpr uint8_t kStringEncodings = 3;

// A string value: its bytes, and how they were made (encoding_of in value_encoding.h). The
// byte makes a Value 48 bytes rather than 40.
struct StringValue : std::string {
  StringValue() = default;
  StringValue(std::string bytes, StringEncoding how = StringEncoding::kAsSet)  // NOLINT: implicit
      : std::string(std::move(bytes)), encoding(how) {}
  StringEncoding encoding = StringEncoding::kAsSet;
};

// The alternatives are in ValueType order.
using Value =
    std::variant<StringValue, std::unique_ptr<HashValue>, std::unique_ptr<ListValue>,
                 std::unique_ptr<SetValue>, std::unique_ptr<SortedSet>, std::unique_ptr<Stream>>;

inline ValueType type_of(const Value& value) {
  return static_cast<ValueType>(value.index());
}

// The collection of type T the value holds, or nullptr (another type).
template <typename T>
T* collection_of(Value* value) {
  auto* held = std::get_if<std::unique_ptr<T>>(value);
  return held == nullptr ? nullptr : held->get();
}
template <typename T>
const T* collection_of(const Value* value) {
  auto* held = std::get_if<std::unique_ptr<T>>(value);
  return held == nullptr ? nullptr : held->get();
}

// A new, empty collection of type T.
template <typename T>
Value make_collection() {
  return Value(std::make_unique<T>());
}

}  // namespace raftkv::kv
