// Streams in the RDB encoding (rdb_codec.h's internals): the listpack nodes of entries, the
// counters and the consumer groups.
#pragma once

#include <optional>

#include "kv/rdb_primitives.h"
#include "kv/value.h"

namespace raftkv::kv {

// Type 19 (RDB_TYPE_STREAM_LISTPACKS_2), after the type byte.
void encode_rdb_stream(const Stream& stream, RdbWriter* out);

// Type 15 (`v2` false) or 19, after the type byte.
std::optional<Value> decode_rdb_stream(RdbReader* in, bool v2);

}  // namespace raftkv::kv
