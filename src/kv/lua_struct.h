// Redis's `struct` library for scripts (struct.pack, struct.unpack, struct.size), which
// Debian does not package for Lua 5.1: a port of the format rules of Roberto Ierusalimschy's
// struct.c as Redis bundles it. Formats: < > = (byte order), !n (alignment), x (pad),
// b B h H l L T i[n] I[n] (integers), f d (floats), c[n] (bytes), s (zero-terminated).
#pragma once

#include "kv/lua_api.h"

namespace raftkv::kv {

// Pushes the struct table (the caller makes it the global `struct`).
int luaopen_struct(lua_State* L);

}  // namespace raftkv::kv
