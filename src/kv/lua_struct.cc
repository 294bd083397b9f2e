#include "kv/lua_struct.h"

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

namespace raftkv::kv {

namespace {

// Only C objects here: Lua errors unwind these functions with longjmp (lua_api.h).
constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = 8;  // alignment of double on x86-64

struct Header {
  bool little = true;  // x86-64's native order
  int align = 1;
};

int read_number(const char** fmt, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int a = 0;
  do {
    if (a > (INT_MAX / 10) || a * 10 > (INT_MAX - (**fmt - '0'))) return -1;
    a = a * 10 + *((*fmt)++) - '0';
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return a;
}

size_t option_size(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B':
    case 'b':
      return 1;
    case 'H':
    case 'h':
      return sizeof(short);
    case 'L':
    case 'l':
      return sizeof(long);
    case 'T':
      return sizeof(size_t);
    case 'f':
      return sizeof(float);
    case 'd':
      return sizeof(double);
    case 'x':
      return 1;
    case 'c':
      return static_cast<size_t>(read_number(fmt, 1));
    case 'i':
    case 'I': {
      const int size = read_number(fmt, sizeof(int));
      if (size > kMaxIntSize) {
        luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntSize);
      }
      return static_cast<size_t>(size);
    }
    default:
      return 0;
  }
}

size_t padding(size_t len, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (len & (size - 1))) & (size - 1);
}

void control_option(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ':
      return;
    case '>':
      h->little = false;
      return;
    case '<':
    case '=':
      h->little = true;
      return;
    case '!': {
      const int a = read_number(fmt, kMaxAlign);
      if (a <= 0 || (a & (a - 1)) != 0) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = a;
      return;
    }
    default:
      luaL_argerror(L, 1, lua_pushfstring(L, "invalid format option '%c'", opt));
  }
}

void put_integer(lua_State* L, luaL_Buffer* b, int arg, bool little, size_t size) {
  const lua_Number n = luaL_checknumber(L, arg);
  uint64_t value =
      n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : static_cast<uint64_t>(n);
  char bytes[kMaxIntSize] = {};  // beyond 8 bytes: zeros, as Redis's struct writes
  for (size_t i = 0; i < size && i < 8; ++i) {
    bytes[little ? i : size - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  luaL_addlstring(b, bytes, size);
}

lua_Number get_integer(const char* data, bool little, bool is_signed, size_t size) {
  uint64_t l = 0;
  for (size_t k = 0; k < size; ++k) {
    const size_t i = little ? size - 1 - k : k;
    l = (l << 8) | static_cast<unsigned char>(data[i]);
  }
  if (!is_signed) return static_cast<lua_Number>(l);
  if (size < 8) {
    const uint64_t mask = ~uint64_t{0} << (size * 8 - 1);
    if ((l & mask) != 0) l |= mask;  // sign extension
  }
  return static_cast<lua_Number>(static_cast<int64_t>(l));
}

template <typename T>
void put_float(luaL_Buffer* b, lua_Number n, bool little) {
  T value = static_cast<T>(n);
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  if (!little) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  luaL_addlstring(b, bytes, sizeof(T));
}

template <typename T>
lua_Number get_float(const char* data, bool little) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, data, sizeof(T));
  if (!little) {
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return static_cast<lua_Number>(value);
}

bool is_integer_option(char opt) {
  return std::strchr("bBhHlLTiI", opt) != nullptr && opt != '\0';
}

// Appends one item of `opt`; returns the bytes added beyond `size` (the 's' terminator).
size_t pack_item(lua_State* L, luaL_Buffer* b, char opt, size_t* size, int* arg, const Header& h) {
  if (is_integer_option(opt)) {
    put_integer(L, b, (*arg)++, h.little, *size);
  } else if (opt == 'x') {
    luaL_addchar(b, '\0');
  } else if (opt == 'f') {
    put_float<float>(b, luaL_checknumber(L, (*arg)++), h.little);
  } else if (opt == 'd') {
    put_float<double>(b, luaL_checknumber(L, (*arg)++), h.little);
  } else if (opt == 'c' || opt == 's') {
    size_t len = 0;
    const char* s = luaL_checklstring(L, (*arg)++, &len);
    if (*size == 0) *size = len;
    luaL_argcheck(L, len >= *size, *arg, "string too short");
    luaL_addlstring(b, s, *size);
    if (opt == 's') {
      luaL_addchar(b, '\0');
      return 1;
    }
  }
  return 0;
}

int struct_pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  size_t total = 0;
  lua_pushnil(L);  // separates the arguments from the buffer's pieces
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = option_size(L, opt, &fmt);
    for (size_t pad = padding(total, h, opt, size); pad > 0; --pad, ++total) luaL_addchar(&b, '\0');
    const bool known = is_integer_option(opt) || std::strchr("xfdcs", opt) != nullptr;
    if (known) {
      total += pack_item(L, &b, opt, &size, &arg, h);
    } else {
      control_option(L, opt, &fmt, &h);
    }
    total += size;
  }
  luaL_pushresult(&b);
  return 1;
}

// Pushes one unpacked item (c0 takes its length from the previous item); returns the
// number of results it adds (-1 + 1 for c0, which replaces the length).
int unpack_item(lua_State* L, char opt, size_t* size, const char* data, size_t pos, size_t ld,
                int n, const Header& h) {
  if (is_integer_option(opt)) {
    lua_pushnumber(L, get_integer(data + pos, h.little, std::islower(opt) != 0, *size));
    return 1;
  }
  switch (opt) {
    case 'f':
      lua_pushnumber(L, get_float<float>(data + pos, h.little));
      return 1;
    case 'd':
      lua_pushnumber(L, get_float<double>(data + pos, h.little));
      return 1;
    case 'c': {
      int added = 1;
      if (*size == 0) {
        if (n == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
        *size = static_cast<size_t>(lua_tonumber(L, -1));
        lua_pop(L, 1);
        added = 0;
        luaL_argcheck(L, *size <= ld && pos <= ld - *size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, *size);
      return added;
    }
    case 's': {
      const auto* end = static_cast<const char*>(std::memchr(data + pos, '\0', ld - pos));
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      *size = static_cast<size_t>(end - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, *size - 1);
      return 1;
    }
    default:
      return 0;
  }
}

int struct_unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t ld = 0;
  const char* data = luaL_checklstring(L, 2, &ld);
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1)) - 1;
  luaL_argcheck(L, pos <= ld, 3, "offset must be 1 or greater");
  Header h;
  int n = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = option_size(L, opt, &fmt);
    pos += padding(pos, h, opt, size);
    luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (is_integer_option(opt) || std::strchr("xfdcs", opt) != nullptr) {
      n += unpack_item(L, opt, &size, data, pos, ld, n, h);
    } else {
      control_option(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));
  return n + 1;
}

int struct_size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = option_size(L, opt, &fmt);
    pos += padding(pos, h, opt, size);
    if (opt == 's') {
      luaL_argerror(L, 1, "option 's' has no fixed size");
    } else if (opt == 'c' && size == 0) {
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    }
    if (!std::isalnum(static_cast<unsigned char>(opt))) control_option(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int luaopen_struct(lua_State* L) {
  static const luaL_Reg functions[] = {
      {"pack", struct_pack}, {"unpack", struct_unpack}, {"size", struct_size}, {nullptr, nullptr}};
  lua_newtable(L);
  luaL_register(L, nullptr, functions);
  return 1;
}

}  // namespace raftkv::kv
