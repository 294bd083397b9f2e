// What the data command modules (data_commands.cc and the hash, list, set and sorted-set
// modules) share: Redis's common error texts, case-insensitive option matching, looking up
// a key that must hold a given type, and what a write may depend on.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "kv/int_parse.h"
#include "kv/kv_store.h"
#include "kv/value.h"

namespace raftkv::kv {

inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kSyntaxError = "ERR syntax error";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kNotPositive = "ERR value is out of range, must be positive";

inline bool equals_ci(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// The optional count of LPOP, RPOP, SPOP, ZPOPMIN and ZPOPMAX (argv[2]): Redis takes 0 and
// up, and answers kNotPositive for anything else; more arguments get `too_many`.
inline std::string validate_pop_count(std::span<const std::string> argv,
                                      std::string_view too_many) {
  if (argv.size() > 3) return std::string(too_many);
  if (argv.size() == 3) {
    const auto count = parse_int64(argv[2]);
    if (!count || *count < 0) return std::string(kNotPositive);
  }
  return {};
}

// What a write command may depend on besides the store and its arguments: the entry's log
// time (Unix ms; expiry) and log index (the seed of SPOP's choice). Both are the same on
// every replica, so "random" writes are too.
struct AclUser;
class PublishSink;

struct WriteContext {
  uint64_t now_ms = 0;
  uint64_t index = 0;
  // The ACL user a script runs as, when its commands must be checked (null: unchecked).
  const AclUser* acl_user = nullptr;
  // Where an applied PUBLISH delivers (the node's subscribers; null: nobody).
  PublishSink* publish = nullptr;
  // Run by a script or function (SORT then sorts a set even BY a constant, as Redis).
  bool in_script = false;
};

// A key looked up as a collection of type T: the collection, or nullptr with wrong_type
// telling "absent" (false) from "holds another type" (true, reply kWrongType).
template <typename T>
struct Typed {
  T* collection = nullptr;
  bool wrong_type = false;
};

template <typename T>
Typed<const T> as_type(const Value* value) {
  if (value == nullptr) return {};
  const T* collection = collection_of<T>(value);
  return {collection, collection == nullptr};
}

template <typename T>
Typed<T> as_type(Value* value) {
  if (value == nullptr) return {};
  T* collection = collection_of<T>(value);
  return {collection, collection == nullptr};
}

// The collection of type T at `key`, created empty when the key is absent. Only for a
// command that is about to add to it: keys never hold empty collections.
template <typename T>
Typed<T> find_or_create(KvStore& store, std::string_view key) {
  if (Value* value = store.find(key)) return as_type<T>(value);
  return {collection_of<T>(store.put(key, make_collection<T>())), false};
}

// A *STORE command's result (SINTERSTORE, ZRANGESTORE, ...): replaces the destination,
// whatever it held, and drops its deadline; an empty result deletes it instead, as in
// Redis. Returns the result's size, the command's reply.
template <typename T>
int64_t store_collection(KvStore& store, std::string_view key, std::unique_ptr<T> result) {
  const auto size = static_cast<int64_t>(result->size());
  if constexpr (std::is_same_v<T, SortedSet>) result->derive_encoding();  // built whole
  if (size == 0) {
    store.erase(key);
    return 0;
  }
  store.put(key, Value(std::move(result)));
  store.persist(key);
  return size;
}

// Deletes `key` when its collection has become empty, as Redis does.
template <typename T>
void erase_if_empty(KvStore& store, std::string_view key, const T& collection) {
  if (collection.empty()) store.erase(key);
}

}  // namespace raftkv::kv
