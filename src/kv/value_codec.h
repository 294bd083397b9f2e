// Canonical bytes of a typed value, for snapshots (RKVSNAP3) and DEBUG DIGEST.
//
//   string   the bytes (length-prefixed)
//   hash     count, then count x (field, value)        in the hash's (insertion) order;
//                                                      before RKVSNAP8, in field order
//   list     count, then count x element               head to tail
//   set      count, then count x member                in (hash, member) order
//   zset     count, then count x (member, score)       in (score, member) order;
//                                                      the score as fixed64 IEEE-754 bits
//   stream   as stream_codec.h describes (may hold no entries)
// Collection counts are varints and never 0 (empty collections do not exist). The type itself is
// not part of these bytes: the caller records it.
#pragma once

#include <cstdint>
#include <optional>

#include "kv/byte_codec.h"
#include "kv/value.h"

namespace raftkv::kv {

void encode_value(const Value& value, ByteWriter* out);

// Decodes a value of `type`; nothing if the bytes are truncated, a count is 0 or larger
// than the bytes left, elements are out of canonical order or repeated, or a score is NaN.
// `sorted_hash`: a hash's fields must be in field order (the format before RKVSNAP8).
std::optional<Value> decode_value(ValueType type, ByteReader* in, bool sorted_hash);

// What Redis's encoding of a value depends on besides its bytes (value.h): a string's
// StringEncoding, 1 for a set or hash that has become a hashtable or a sorted set that has
// become a skiplist, else 0. Snapshots
// (RKVSNAP8 on) and COPY keep it beside the value; a decoded value gets the encoding Redis
// would give its contents on loading (as for RESTORE) until this is restored.
uint8_t encoding_state(const Value& value);
// Gives a decoded `value` that state; false if it cannot have it (unknown, or a listpack
// or intset that its contents rule out).
bool restore_encoding_state(uint8_t state, Value* value);

}  // namespace raftkv::kv
