// The encoding Redis 7.0 would give a value (OBJECT ENCODING), with its default thresholds.
// DUMP writes the same RDB encoding, so payloads look like redis-server's.
#pragma once

#include <string_view>

#include "kv/value.h"

namespace raftkv::kv {

// Whether Redis stores the string as an integer: canonical form, at most 20 characters.
bool is_int_string(std::string_view s);

// "int", "embstr", "raw", "listpack", "hashtable", "quicklist", "intset", "skiplist" or
// "stream".
std::string_view encoding_of(const Value& value);

}  // namespace raftkv::kv
