#include "kv/lua_values.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace raftkv::kv {

namespace {

// The reader of replies this process wrote itself: trusted, so a malformed one only ends
// the value early.
struct ReplyReader {
  std::string_view in;
  size_t pos = 0;

  std::string_view line() {
    const size_t end = in.find("\r\n", pos);
    const size_t stop = end == std::string_view::npos ? in.size() : end;
    std::string_view text = in.substr(pos, stop - pos);
    pos = stop == in.size() ? stop : stop + 2;
    return text;
  }
  int64_t number() {
    const std::string_view text = line();
    int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
  }
};

void push_table_field(lua_State* L, const char* field, std::string_view text) {
  lua_newtable(L);
  lua_pushstring(L, field);
  lua_pushlstring(L, text.data(), text.size());
  lua_settable(L, -3);
}

// Pushes {field=<the value the next push makes>}.
template <typename PushValue>
void push_wrapped(lua_State* L, const char* field, PushValue push) {
  lua_newtable(L);
  lua_pushstring(L, field);
  push();
  lua_settable(L, -3);
}

void push_value(lua_State* L, ReplyReader& r, int depth) {
  luaL_checkstack(L, 4, "reached lua stack limit");
  if (r.pos >= r.in.size()) return lua_pushboolean(L, 0);
  const char type = r.in[r.pos++];
  switch (type) {
    case '_':  // RESP3 (redis.setresp(3)) from here on
      r.line();
      return lua_pushnil(L);
    case '#':
      return lua_pushboolean(L, r.line() == "t");
    case ',': {
      const std::string text(r.line());
      return push_wrapped(L, "double",
                          [&] { lua_pushnumber(L, std::strtod(text.c_str(), nullptr)); });
    }
    case '(':
      return push_table_field(L, "big_number", r.line());
    case '=': {
      const int64_t n = r.number();
      if (n < 4 || r.pos + static_cast<size_t>(n) > r.in.size()) return lua_pushboolean(L, 0);
      const std::string_view body = r.in.substr(r.pos, static_cast<size_t>(n));
      r.pos += static_cast<size_t>(n) + 2;
      return push_wrapped(L, "verbatim_string", [&] {
        push_table_field(L, "format", body.substr(0, 3));
        lua_pushstring(L, "string");
        lua_pushlstring(L, body.data() + 4, body.size() - 4);
        lua_settable(L, -3);
      });
    }
    case '%':
    case '~': {
      const int64_t n = r.number();
      return push_wrapped(L, type == '%' ? "map" : "set", [&] {
        lua_newtable(L);
        for (int64_t i = 0; i < n; ++i) {
          push_value(L, r, depth + 1);
          if (type == '%') {
            push_value(L, r, depth + 1);
          } else {
            lua_pushboolean(L, 1);
          }
          if (lua_isnil(L, -2)) {
            lua_pop(L, 2);  // a nil key cannot be stored
          } else {
            lua_settable(L, -3);
          }
        }
      });
    }
    case '+':
      return push_table_field(L, "ok", r.line());
    case '-':
      return push_table_field(L, "err", r.line());
    case ':':
      return lua_pushnumber(L, static_cast<lua_Number>(r.number()));
    case '$': {
      const int64_t n = r.number();
      if (n < 0 || r.pos + static_cast<size_t>(n) > r.in.size()) return lua_pushboolean(L, 0);
      lua_pushlstring(L, r.in.data() + r.pos, static_cast<size_t>(n));
      r.pos += static_cast<size_t>(n) + 2;
      return;
    }
    case '*':
    case '>': {
      const int64_t n = r.number();
      if (n < 0) return lua_pushboolean(L, 0);
      lua_newtable(L);
      for (int64_t i = 1; i <= n; ++i) {
        push_value(L, r, depth + 1);
        lua_rawseti(L, -2, static_cast<int>(i));
      }
      return;
    }
    default:
      return lua_pushboolean(L, 0);
  }
}

// The string field `name` of the table at the top, or nullptr.
const char* string_field(lua_State* L, const char* name, size_t* len) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  const char* text = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : nullptr;
  lua_pop(L, 1);  // the string stays alive: the table holds it
  return text;
}

constexpr int kMaxDepth = 200;

void write_value(lua_State* L, RespWriter* out, int depth, bool resp3);

// The field `name` of the table at the top, pushed if it has type `type` (true), else
// nothing is pushed.
bool push_field_of_type(lua_State* L, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

// A RESP3 double as Redis 7.0 writes it (%.17g; inf and -inf).
void write_double(double value, RespWriter* out) {
  char text[64];
  if (std::isinf(value)) {
    std::snprintf(text, sizeof text, ",%s\r\n", value > 0 ? "inf" : "-inf");
  } else {
    std::snprintf(text, sizeof text, ",%.17g\r\n", value);
  }
  out->raw(text);
}

// {double=}, {big_number=}, {verbatim_string=}, {map=}, {set=}: true when the table at the
// top was one of them, and was written.
bool write_typed_table(lua_State* L, RespWriter* out, int depth, bool resp3) {
  if (push_field_of_type(L, "double", LUA_TNUMBER)) {
    write_double(lua_tonumber(L, -1), out);
    lua_pop(L, 1);
    return true;
  }
  size_t len = 0;
  if (push_field_of_type(L, "big_number", LUA_TSTRING)) {
    const char* chars = lua_tolstring(L, -1, &len);  // sets len: not in one expression
    std::string text(chars, len);
    for (char& c : text) c = c == '\r' || c == '\n' ? ' ' : c;
    out->raw("(" + text + "\r\n");
    lua_pop(L, 1);
    return true;
  }
  if (push_field_of_type(L, "verbatim_string", LUA_TTABLE)) {
    size_t format_len = 0;
    const char* format = string_field(L, "format", &format_len);
    const char* text = string_field(L, "string", &len);
    const bool ok = format != nullptr && text != nullptr;
    if (ok) {
      out->raw("=" + std::to_string(len + 4) + "\r\n" +
               std::string(format, std::min<size_t>(format_len, 3)) + ":" + std::string(text, len) +
               "\r\n");
    }
    lua_pop(L, 1);
    if (ok) return true;
  }
  for (const bool map : {true, false}) {
    if (!push_field_of_type(L, map ? "map" : "set", LUA_TTABLE)) continue;
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
      ++n;
      lua_pop(L, 1);
    }
    out->raw(std::string(map ? "%" : "~") + std::to_string(n) + "\r\n");
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {  // key and value on top
      lua_pushvalue(L, -2);
      write_value(L, out, depth + 1, resp3);  // the key (or the member)
      lua_pop(L, 1);
      if (map) write_value(L, out, depth + 1, resp3);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return true;
  }
  return false;
}

void write_value(lua_State* L, RespWriter* out, int depth, bool resp3) {
  switch (lua_type(L, -1)) {
    case LUA_TNUMBER:
      return out->integer(lua_number_to_integer(lua_tonumber(L, -1)));
    case LUA_TSTRING: {
      size_t len = 0;
      const char* text = lua_tolstring(L, -1, &len);
      return out->bulk(std::string_view(text, len));
    }
    case LUA_TBOOLEAN:
      if (resp3) return out->raw(lua_toboolean(L, -1) ? "#t\r\n" : "#f\r\n");
      if (lua_toboolean(L, -1)) return out->integer(1);
      return out->null_bulk();
    case LUA_TTABLE:
      break;
    default:
      return out->null_bulk();
  }
  size_t len = 0;
  if (const char* err = string_field(L, "err", &len)) return out->error(std::string_view(err, len));
  if (const char* ok = string_field(L, "ok", &len)) return out->simple(std::string_view(ok, len));
  if (depth >= kMaxDepth || !lua_checkstack(L, 4)) return out->error("ERR reached lua stack limit");
  if (write_typed_table(L, out, depth, resp3)) return;
  int n = 0;
  for (;; ++n) {
    lua_rawgeti(L, -1, n + 1);
    const bool end = lua_isnil(L, -1);
    lua_pop(L, 1);
    if (end) break;
  }
  out->array_header(static_cast<size_t>(n));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, i);
    write_value(L, out, depth + 1, resp3);
    lua_pop(L, 1);
  }
}

}  // namespace

bool push_resp_reply(lua_State* L, std::string_view reply) {
  ReplyReader r{reply};
  push_value(L, r, 0);
  return !reply.empty() && reply[0] == '-';
}

void write_lua_value(lua_State* L, RespWriter* out, bool resp3) {
  write_value(L, out, 0, resp3);
}

int64_t lua_number_to_integer(double value) {
  // [-2^63, 2^63): what converts exactly after truncation.
  constexpr double kLimit = 9223372036854775808.0;
  if (!(value >= -kLimit && value < kLimit)) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

}  // namespace raftkv::kv
