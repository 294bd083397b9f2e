// The encoding Redis 7.0 would give a value (OBJECT ENCODING), with its default thresholds.
// DUMP writes the same RDB encoding, so payloads look like redis-server's.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "kv/value.h"

namespace raftkv::kv {

// Whether Redis stores the string as an integer: canonical form, at most 20 characters.
bool is_int_string(std::string_view s);

// Redis's set-max-intset-entries default.
inline constexpr size_t kIntsetEntries = 512;

// Whether Redis would hold these members as an intset were the set built from scratch
// (RESTORE, SINTERSTORE, the temporary set of SUNION): all integers, and few enough.
bool fits_intset(const SetValue& set);
// Records that `member` was just added to `set`: Redis converts an intset to a hashtable
// when the member is not an integer or the set has grown too large.
void note_set_member_added(SetValue* set, std::string_view member);
// The members in the order Redis replies with them: ascending numeric order for an intset
// (`intset`), else the set's own order.
std::vector<const HashedKey*> set_reply_order(const SetValue& set, bool intset);

// "int", "embstr", "raw", "listpack", "hashtable", "quicklist", "intset", "skiplist" or
// "stream".
std::string_view encoding_of(const Value& value);

}  // namespace raftkv::kv
