// The Lua 5.1 C API (Debian's liblua5.1, the version Redis embeds), compiled as C.
//
// Lua raises errors with longjmp: a C++ function called from Lua must not hold objects with
// destructors on its stack across a Lua call that may raise (such objects live in the
// engine's state instead; lua_engine.cc).
#pragma once

extern "C" {
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

// Redis's cjson and bit libraries (lua-cjson, lua-bitop): their luaopen_ functions.
#include <lua-bitop.h>
#include <lua-cjson.h>
}
