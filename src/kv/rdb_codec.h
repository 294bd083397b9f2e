// Values in Redis's RDB encoding (rdb.c): what DUMP payloads carry between the RDB type byte
// and the framing footer (dump_payload.h). Pure functions: the same bytes decode to the same
// value on every replica, which is what lets RESTORE be replicated as its arguments and
// decoded when applied.
//
// Encoding writes what Redis 7.0 (RDB version 10) writes for the encoding OBJECT ENCODING
// names (value_encoding.h): strings raw or integer-encoded; lists as quicklist 2 of listpacks;
// sets as intset or hashtable; sorted sets as listpack or skiplist (binary doubles); hashes as
// listpack or hashtable; streams as listpacks 2 with consumer groups, consumers and PELs.
//
// Decoding takes every type Redis 7.0 loads except the pre-2.6 zipmap hash and modules:
// string (raw, integer, LZF), list (linked list, ziplist, quicklist of ziplists, quicklist 2
// of listpacks or plain nodes), set (hashtable, intset), zset (ASCII and binary doubles,
// ziplist, listpack), hash (hashtable, ziplist, listpack), stream (listpacks 1 and 2).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kv/value.h"

namespace raftkv::kv {

// RDB object types (rdb.h).
enum class RdbType : uint8_t {
  kString = 0,
  kList = 1,
  kSet = 2,
  kZset = 3,
  kHash = 4,
  kZset2 = 5,
  kHashZipmap = 9,
  kListZiplist = 10,
  kSetIntset = 11,
  kZsetZiplist = 12,
  kHashZiplist = 13,
  kListQuicklist = 14,
  kStreamListpacks = 15,
  kHashListpack = 16,
  kZsetListpack = 17,
  kListQuicklist2 = 18,
  kStreamListpacks2 = 19,
};

// The type byte followed by the encoded value.
std::string encode_rdb_value(const Value& value);

// The value of a type byte and encoding; nothing if the bytes are not one well-formed value
// of a supported type, or it is an empty collection (Redis refuses those too). Bytes after
// the value are ignored, as Redis ignores them.
std::optional<Value> decode_rdb_value(std::string_view body);

}  // namespace raftkv::kv
