#include "kv/lua_cmsgpack.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace raftkv::kv {

namespace {

// Only C objects here: Lua errors unwind these functions with longjmp (lua_api.h). The
// output buffer is a Lua userdata on the stack, so an error leaves it to the collector.
constexpr int kMaxNesting = 16;  // deeper tables (and cycles) are encoded as nil

struct Buffer {
  lua_State* L;
  int index;  // the userdata's stack slot; replaced when the buffer grows
  unsigned char* data;
  size_t len;
  size_t cap;
};

void append(Buffer* b, const void* bytes, size_t n) {
  if (n > b->cap - b->len) {
    size_t cap = b->cap * 2;
    if (cap < b->len + n) cap = b->len + n;
    auto* grown = static_cast<unsigned char*>(lua_newuserdata(b->L, cap));
    std::memcpy(grown, b->data, b->len);
    lua_replace(b->L, b->index);
    b->data = grown;
    b->cap = cap;
  }
  std::memcpy(b->data + b->len, bytes, n);
  b->len += n;
}

// One type byte followed by `size` bytes of `value`, big-endian.
void append_typed(Buffer* b, unsigned char type, uint64_t value, int size) {
  unsigned char out[9] = {type};
  for (int i = 0; i < size; ++i) {
    out[1 + i] = static_cast<unsigned char>(value >> (8 * (size - 1 - i)));
  }
  append(b, out, static_cast<size_t>(1 + size));
}

bool is_int64(double d) {
  return d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
         static_cast<double>(static_cast<int64_t>(d)) == d;
}

void encode_int(Buffer* b, int64_t n) {
  const auto u = static_cast<uint64_t>(n);
  if (n >= 0) {
    if (n <= 127) return append_typed(b, static_cast<unsigned char>(n), 0, 0);
    if (n <= 0xff) return append_typed(b, 0xcc, u, 1);
    if (n <= 0xffff) return append_typed(b, 0xcd, u, 2);
    if (n <= 0xffffffffLL) return append_typed(b, 0xce, u, 4);
    return append_typed(b, 0xcf, u, 8);
  }
  if (n >= -32) return append_typed(b, static_cast<unsigned char>(n & 0xff), 0, 0);
  if (n >= -128) return append_typed(b, 0xd0, u, 1);
  if (n >= -32768) return append_typed(b, 0xd1, u, 2);
  if (n >= -2147483648LL) return append_typed(b, 0xd2, u, 4);
  append_typed(b, 0xd3, u, 8);
}

void encode_number(Buffer* b, double d) {
  if (is_int64(d)) return encode_int(b, static_cast<int64_t>(d));
  const auto f = static_cast<float>(d);
  if (d == static_cast<double>(f)) {
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    return append_typed(b, 0xca, bits, 4);
  }
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  append_typed(b, 0xcb, bits, 8);
}

void encode_string(Buffer* b, const char* s, size_t len) {
  if (len < 32) {
    append_typed(b, static_cast<unsigned char>(0xa0 | len), 0, 0);
  } else if (len <= 0xff) {
    append_typed(b, 0xd9, len, 1);
  } else if (len <= 0xffff) {
    append_typed(b, 0xda, len, 2);
  } else {
    append_typed(b, 0xdb, len, 4);
  }
  append(b, s, len);
}

// Array and map headers: the fix form, then 16 and 32 bits.
void encode_header(Buffer* b, unsigned char fix, unsigned char type16, size_t len) {
  if (len <= 15) return append_typed(b, static_cast<unsigned char>(fix | len), 0, 0);
  if (len <= 0xffff) return append_typed(b, type16, len, 2);
  append_typed(b, static_cast<unsigned char>(type16 + 1), len, 4);
}

// lua-cmsgpack's rule: every key a number that is an int and >= 1, and as many keys as the
// largest one (an empty table is an array).
bool is_array(lua_State* L, int index) {
  double max = 0;
  double count = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    const double n = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
    if (n <= 0 || n > INT_MAX || static_cast<double>(static_cast<int>(n)) != n) {
      lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count += 1;
  }
  return max == count;
}

void encode_value(Buffer* b, int index, int level);

void encode_array(Buffer* b, int index, int level) {
  lua_State* L = b->L;
  const size_t len = lua_objlen(L, index);
  encode_header(b, 0x90, 0xdc, len);
  luaL_checkstack(L, 2, "in function mp_encode_lua_table_as_array");
  for (size_t i = 1; i <= len; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    lua_gettable(L, index);
    encode_value(b, lua_gettop(L), level + 1);
    lua_pop(L, 1);
  }
}

void encode_map(Buffer* b, int index, int level) {
  lua_State* L = b->L;
  luaL_checkstack(L, 3, "in function mp_encode_lua_table_as_map");
  size_t len = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    ++len;
  }
  encode_header(b, 0x80, 0xde, len);
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    const int top = lua_gettop(L);
    encode_value(b, top - 1, level + 1);
    encode_value(b, top, level + 1);
    lua_pop(L, 1);
  }
}

void encode_value(Buffer* b, int index, int level) {
  lua_State* L = b->L;
  int type = lua_type(L, index);
  if (type == LUA_TTABLE && level == kMaxNesting) type = LUA_TNIL;
  switch (type) {
    case LUA_TSTRING: {
      size_t len = 0;
      const char* s = lua_tolstring(L, index, &len);
      return encode_string(b, s, len);
    }
    case LUA_TBOOLEAN:
      return append_typed(b, lua_toboolean(L, index) ? 0xc3 : 0xc2, 0, 0);
    case LUA_TNUMBER:
      return encode_number(b, lua_tonumber(L, index));
    case LUA_TTABLE:
      if (is_array(L, index)) return encode_array(b, index, level);
      return encode_map(b, index, level);
    default:
      return append_typed(b, 0xc0, 0, 0);
  }
}

int pack(lua_State* L) {
  const int nargs = lua_gettop(L);
  if (nargs == 0) return luaL_argerror(L, 0, "MessagePack pack needs input.");
  luaL_checkstack(L, 4, "in function mp_pack");
  Buffer b{L, nargs + 1, nullptr, 0, 64};
  b.data = static_cast<unsigned char*>(lua_newuserdata(L, b.cap));
  for (int i = 1; i <= nargs; ++i) encode_value(&b, i, 0);
  lua_pushlstring(L, reinterpret_cast<const char*>(b.data), b.len);
  return 1;
}

// ---- Decoding ----

enum class CursorError { kNone, kEof, kBadFormat };

struct Cursor {
  const unsigned char* p;
  size_t left;
  CursorError err;
};

bool need(Cursor* c, size_t n) {
  if (c->left >= n) return true;
  c->err = CursorError::kEof;
  return false;
}

// The `size` bytes after the type byte, big-endian, consuming both.
uint64_t take(Cursor* c, int size) {
  uint64_t v = 0;
  for (int i = 1; i <= size; ++i) v = (v << 8) | c->p[i];
  c->p += 1 + size;
  c->left -= static_cast<size_t>(1 + size);
  return v;
}

void decode_value(lua_State* L, Cursor* c);

void decode_array(lua_State* L, Cursor* c, size_t len) {
  lua_newtable(L);
  luaL_checkstack(L, 1, "in function mp_decode_to_lua_array");
  for (size_t i = 1; i <= len; ++i) {
    lua_pushnumber(L, static_cast<lua_Number>(i));
    decode_value(L, c);
    if (c->err != CursorError::kNone) return;
    lua_settable(L, -3);
  }
}

void decode_map(lua_State* L, Cursor* c, size_t len) {
  lua_newtable(L);
  for (size_t i = 0; i < len; ++i) {
    decode_value(L, c);  // the key
    if (c->err != CursorError::kNone) return;
    decode_value(L, c);
    if (c->err != CursorError::kNone) return;
    lua_settable(L, -3);  // a nil or NaN key is Lua's error
  }
}

void decode_string(lua_State* L, Cursor* c, int size_bytes) {
  if (!need(c, static_cast<size_t>(1 + size_bytes))) return;
  const auto len = static_cast<size_t>(take(c, size_bytes));
  if (!need(c, len)) return;
  lua_pushlstring(L, reinterpret_cast<const char*>(c->p), len);
  c->p += len;
  c->left -= len;
}

// Integers and floats of `size` bytes after the type byte.
void decode_number(lua_State* L, Cursor* c, unsigned char type, int size) {
  if (!need(c, static_cast<size_t>(1 + size))) return;
  const uint64_t v = take(c, size);
  switch (type) {
    case 0xca: {
      float f;
      const auto bits = static_cast<uint32_t>(v);
      std::memcpy(&f, &bits, sizeof f);
      return lua_pushnumber(L, static_cast<lua_Number>(f));
    }
    case 0xcb: {
      double d;
      std::memcpy(&d, &v, sizeof d);
      return lua_pushnumber(L, d);
    }
    case 0xd0:
      return lua_pushnumber(L, static_cast<int8_t>(v));
    case 0xd1:
      return lua_pushnumber(L, static_cast<int16_t>(v));
    case 0xd2:
      return lua_pushnumber(L, static_cast<int32_t>(v));
    case 0xd3:
      return lua_pushnumber(L, static_cast<lua_Number>(static_cast<int64_t>(v)));
    default:
      return lua_pushnumber(L, static_cast<lua_Number>(v));
  }
}

// A container's length field (`size` bytes), then its elements.
void decode_container(lua_State* L, Cursor* c, bool map, int size) {
  if (!need(c, static_cast<size_t>(1 + size))) return;
  const auto len = static_cast<size_t>(take(c, size));
  if (map) return decode_map(L, c, len);
  decode_array(L, c, len);
}

void decode_fixed(lua_State* L, Cursor* c, unsigned char t) {
  const size_t low4 = t & 0x0f;
  if ((t & 0x80) == 0 || (t & 0xe0) == 0xe0) {
    take(c, 0);
    return lua_pushnumber(L, static_cast<int8_t>(t));
  }
  if ((t & 0xe0) == 0xa0) {
    take(c, 0);
    const size_t len = t & 0x1f;
    if (!need(c, len)) return;
    lua_pushlstring(L, reinterpret_cast<const char*>(c->p), len);
    c->p += len;
    c->left -= len;
    return;
  }
  if ((t & 0xf0) == 0x90 || (t & 0xf0) == 0x80) {
    take(c, 0);
    if ((t & 0xf0) == 0x90) return decode_array(L, c, low4);
    return decode_map(L, c, low4);
  }
  c->err = CursorError::kBadFormat;
}

void decode_value(lua_State* L, Cursor* c) {
  if (!need(c, 1)) return;
  luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  const unsigned char t = c->p[0];
  switch (t) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      take(c, 0);
      if (t == 0xc0) return lua_pushnil(L);
      return lua_pushboolean(L, t == 0xc3);
    case 0xcc:
    case 0xd0:
      return decode_number(L, c, t, 1);
    case 0xcd:
    case 0xd1:
      return decode_number(L, c, t, 2);
    case 0xce:
    case 0xd2:
    case 0xca:
      return decode_number(L, c, t, 4);
    case 0xcf:
    case 0xd3:
    case 0xcb:
      return decode_number(L, c, t, 8);
    case 0xd9:
    case 0xda:
    case 0xdb:
      return decode_string(L, c, 1 << (t - 0xd9));
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
      return decode_container(L, c, t >= 0xde, (t & 1) != 0 ? 4 : 2);
    default:
      return decode_fixed(L, c, t);
  }
}

// lua-cmsgpack's mp_unpack_full: limit and offset 0 mean "every value, no offset".
int unpack_full(lua_State* L, int limit, int offset) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  if (offset < 0 || limit < 0) {
    // lua-cmsgpack names the input's length as the limit; so does this.
    return luaL_error(L, "Invalid request to unpack with offset of %d and limit of %d.", offset,
                      static_cast<int>(len));
  }
  if (static_cast<size_t>(offset) > len) {
    return luaL_error(L, "Start offset %d greater than input length %d.", offset,
                      static_cast<int>(len));
  }
  const bool all = limit == 0 && offset == 0;
  if (all) limit = INT_MAX;
  Cursor c{reinterpret_cast<const unsigned char*>(s) + offset, len - static_cast<size_t>(offset),
           CursorError::kNone};
  int count = 0;
  for (; c.left > 0 && count < limit; ++count) {
    decode_value(L, &c);
    if (c.err == CursorError::kEof) return luaL_error(L, "Missing bytes in input.");
    if (c.err == CursorError::kBadFormat) return luaL_error(L, "Bad data format in input.");
  }
  if (all) return count;
  luaL_checkstack(L, 1, "in function mp_unpack_full");
  lua_pushinteger(L, c.left == 0 ? -1 : static_cast<lua_Integer>(len - c.left));
  lua_insert(L, 2);  // the offset comes first, after the input string
  return count + 1;
}

int unpack(lua_State* L) {
  return unpack_full(L, 0, 0);
}

int unpack_one(lua_State* L) {
  const auto offset = static_cast<int>(luaL_optinteger(L, 2, 0));
  lua_settop(L, 1);
  return unpack_full(L, 1, offset);
}

int unpack_limit(lua_State* L) {
  const auto limit = static_cast<int>(luaL_checkinteger(L, 2));
  const auto offset = static_cast<int>(luaL_optinteger(L, 3, 0));
  lua_settop(L, 1);
  return unpack_full(L, limit, offset);
}

}  // namespace

int luaopen_cmsgpack(lua_State* L) {
  static const luaL_Reg functions[] = {{"pack", pack},
                                       {"unpack", unpack},
                                       {"unpack_one", unpack_one},
                                       {"unpack_limit", unpack_limit},
                                       {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, functions);
  static const char* const kInfo[][2] = {{"_NAME", "cmsgpack"},
                                         {"_VERSION", "lua-cmsgpack 0.4.0"},
                                         {"_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo"},
                                         {"_DESCRIPTION", "MessagePack C implementation for Lua"}};
  for (const auto& [name, value] : kInfo) {
    lua_pushstring(L, value);
    lua_setfield(L, -2, name);
  }
  return 1;
}

}  // namespace raftkv::kv
