// Redis's `cmsgpack` library for scripts (MessagePack), which Debian does not package for
// Lua 5.1 (its lua-messagepack is pure Lua with other rules for tables and numbers): a port
// of the rules of lua-cmsgpack 0.4.0 as Redis 7.0 bundles it, byte for byte:
//   - cmsgpack.pack(v1, v2, ...) concatenates the encodings of its arguments; a number
//     that is a 64-bit integer is encoded as the smallest MessagePack integer (unsigned
//     for values >= 0), any other number as a float32 when that is exact, else a float64;
//     strings as str (fixstr/str8/16/32); a table whose keys are exactly the integers
//     1..n as an array (its length from the # operator), any other table as a map; tables
//     nested 16 deep, functions and nil as nil;
//   - cmsgpack.unpack(s) returns every value in s; unpack_one(s[, offset]) and
//     unpack_limit(s, limit[, offset]) return the next offset (-1 at the end) and then the
//     values. bin and ext types, and truncated input, are Lua errors ("Bad data format in
//     input.", "Missing bytes in input."), never a crash.
// Map keys come out in the table's traversal order, which for string and number keys
// depends only on the table's contents and history, the same on every replica.
#pragma once

#include "kv/lua_api.h"

namespace raftkv::kv {

// Pushes the cmsgpack table (the caller makes it the global `cmsgpack`).
int luaopen_cmsgpack(lua_State* L);

}  // namespace raftkv::kv
