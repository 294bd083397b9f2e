// Canonical bytes of a typed value, for snapshots (RKVSNAP3) and DEBUG DIGEST.
//
//   string   the bytes (length-prefixed)
//   hash     count, then count x (field, value)        in field order
//   list     count, then count x element               head to tail
//   set      count, then count x member                in (hash, member) order
//   zset     count, then count x (member, score)       in (score, member) order;
//                                                      the score as fixed64 IEEE-754 bits
//   stream   as stream_codec.h describes (may hold no entries)
// Collection counts are varints and never 0 (empty collections do not exist). The type itself is
// not part of these bytes: the caller records it.
#pragma once

#include <optional>

#include "kv/byte_codec.h"
#include "kv/value.h"

namespace raftkv::kv {

void encode_value(const Value& value, ByteWriter* out);

// Decodes a value of `type`; nothing if the bytes are truncated, a count is 0 or larger
// than the bytes left, elements are out of canonical order or repeated, or a score is NaN.
std::optional<Value> decode_value(ValueType type, ByteReader* in);

}  // namespace raftkv::kv
