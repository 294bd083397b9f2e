#include "kv/lua_engine.h"

#include <strings.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

#include "kv/lua_api.h"
#include "kv/lua_cmsgpack.h"
#include "kv/lua_struct.h"
#include "kv/lua_values.h"
#include "kv/resp3.h"
#include "kv/sha1.h"

namespace raftkv::kv {

namespace {

// One run's state. Everything a C function called from Lua needs across a Lua call that
// may raise lives here, not on that function's stack (lua_api.h).
struct Engine {
  uint64_t used = 0;  // bytes the Lua state holds
  uint64_t limit = std::numeric_limits<uint64_t>::max();
  uint64_t executed = 0;  // instructions, in hook steps
  uint64_t budget = 0;    // 0: no limit
  int step = 0;
  bool exhausted = false;
  uint64_t rand48 = 0x1234ABCD330E;  // rand48's state before any seed, as Redis starts
  ScriptHost* host = nullptr;
  std::vector<std::string> argv;
  std::string scratch;
  std::string budget_error;
  int resp = 2;  // redis.setresp: the protocol of redis.call's replies and of booleans
  int env_ref = LUA_NOREF;
  lua_State* running = nullptr;  // set while the script runs (allocations are charged)
  // Loading a library: what redis.register_function registered, and their callbacks (a
  // table in the registry, by name).
  std::vector<RegisteredFunction> registered;
  RegisteredFunction pending;
  int functions_ref = LUA_NOREF;
};

void count_hook(lua_State* L, lua_Debug*);

// Library functions (table.concat, cjson) can do much work in one instruction: what they
// allocate is charged to the budget too, one instruction per 4 bytes. Once the budget is
// spent, the next instruction fails.
void charge_allocation(Engine* e, size_t bytes) {
  if (e->budget == 0 || e->running == nullptr || e->exhausted) return;
  e->executed += bytes / 4;
  if (e->executed < e->budget) return;
  e->exhausted = true;
  lua_sethook(e->running, count_hook, LUA_MASKCOUNT, 1);  // safe at any point, by design
}

void* allocate(void* ud, void* ptr, size_t old_size, size_t new_size) {
  auto* e = static_cast<Engine*>(ud);
  if (new_size == 0) {
    e->used -= old_size;
    std::free(ptr);
    return nullptr;
  }
  // Refusing to grow is what makes Lua raise "not enough memory"; shrinking never fails.
  if (new_size > old_size && e->used - old_size + new_size > e->limit) return nullptr;
  void* grown = std::realloc(ptr, new_size);
  if (grown == nullptr) return nullptr;
  e->used = e->used - old_size + new_size;
  if (new_size > old_size) charge_allocation(e, new_size - old_size);
  return grown;
}

Engine* engine_of(lua_State* L) {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return static_cast<Engine*>(ud);
}

void count_hook(lua_State* L, lua_Debug*) {
  Engine* e = engine_of(L);
  if (!e->exhausted) {
    e->executed += static_cast<uint64_t>(e->step);
    if (e->executed < e->budget) return;
    // From now on every instruction fails, so a pcall in the script cannot go on.
    e->exhausted = true;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
  }
  luaL_where(L, 0);
  lua_pushlstring(L, e->budget_error.data(), e->budget_error.size());
  lua_concat(L, 2);
  lua_error(L);
}

// Redis's rand48 (its rand.c), so math.random gives Redis's sequence for a seed.
void seed_rand48(uint64_t* x, int32_t seed) {
  const auto s = static_cast<uint32_t>(seed);
  *x = 0x330E | (uint64_t{s & 0xFFFF} << 16) | (uint64_t{s >> 16} << 32);
}

int32_t next_rand48(uint64_t* x) {
  *x = (0x5DEECE66Dull * *x + 0xB) & ((uint64_t{1} << 48) - 1);
  return static_cast<int32_t>(*x >> 17);
}

int math_random(lua_State* L) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  const lua_Number r = static_cast<lua_Number>(next_rand48(&engine_of(L)->rand48) % kMax) / kMax;
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      return 1;
    case 1: {
      const int u = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= u, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * u) + 1);
      return 1;
    }
    case 2: {
      const int l = luaL_checkint(L, 1);
      const int u = luaL_checkint(L, 2);
      luaL_argcheck(L, l <= u, 2, "interval is empty");
      // In floating point: u - l + 1 may not fit an int.
      lua_pushnumber(L, std::floor(r * (static_cast<lua_Number>(u) - l + 1)) + l);
      return 1;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
}

// string.rep, charged by the length of its result before it does the work: equal strings
// are one object in Lua, so `while true do t[#t+1] = string.rep('x', 1e6) end` allocates
// almost nothing after its first turn, yet each turn copies a megabyte.
int string_rep(lua_State* L) {
  size_t len = 0;
  const char* s = luaL_checklstring(L, 1, &len);
  int n = luaL_checkint(L, 2);
  Engine* e = engine_of(L);
  if (n > 0) charge_allocation(e, len * static_cast<size_t>(n));
  if (e->exhausted) {
    luaL_where(L, 1);
    lua_pushlstring(L, e->budget_error.data(), e->budget_error.size());
    lua_concat(L, 2);
    return lua_error(L);
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (n-- > 0) luaL_addlstring(&b, s, len);
  luaL_pushresult(&b);
  return 1;
}

int math_randomseed(lua_State* L) {
  seed_rand48(&engine_of(L)->rand48, luaL_checkint(L, 1));
  return 0;
}

// Raises Redis's error table {err=message}, which the script sees without a position.
int raise_error_table(lua_State* L, const char* message) {
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushstring(L, message);
  lua_settable(L, -3);
  return lua_error(L);
}

// Collects redis.call's arguments into e->argv; false (with nothing pushed) when one is
// neither a string nor a number.
bool collect_arguments(lua_State* L, Engine* e) {
  const int argc = lua_gettop(L);
  e->argv.resize(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    std::string& arg = e->argv[static_cast<size_t>(i - 1)];
    if (lua_type(L, i) == LUA_TNUMBER) {
      // Redis 7.0 prints numbers with %.17g, not Lua's lossy %.14g.
      char buffer[64];
      const int n = std::snprintf(buffer, sizeof buffer, "%.17g", lua_tonumber(L, i));
      arg.assign(buffer, static_cast<size_t>(std::max(n, 0)));
    } else if (lua_type(L, i) == LUA_TSTRING) {
      size_t len = 0;
      const char* s = lua_tolstring(L, i, &len);
      arg.assign(s, len);
    } else {
      return false;
    }
  }
  return true;
}

int redis_command(lua_State* L, bool raise) {
  Engine* e = engine_of(L);
  const char* refusal = nullptr;
  if (lua_gettop(L) == 0) {
    refusal = "ERR Please specify at least one argument for this redis lib call";
  } else if (!collect_arguments(L, e)) {
    refusal = "ERR Lua redis lib command arguments must be strings or integers";
  }
  if (refusal != nullptr) {
    if (raise) return raise_error_table(L, refusal);
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushstring(L, refusal);
    lua_settable(L, -3);
    return 1;
  }
  e->scratch.clear();
  RespWriter out(&e->scratch);
  e->host->call(e->argv, &out);
  if (e->resp == 3) {  // redis.setresp(3): the reply a RESP3 client would get
    if (const CommandSpec* spec = find_command(e->argv[0])) {
      to_resp3(&e->scratch, resp3_shape(*spec, e->argv));
    }
  }
  const bool error = push_resp_reply(L, e->scratch);
  if (error && raise) return lua_error(L);
  return 1;
}

int redis_call(lua_State* L) {
  return redis_command(L, true);
}

int redis_pcall(lua_State* L) {
  return redis_command(L, false);
}

int redis_sha1hex(lua_State* L) {
  if (lua_gettop(L) != 1) return raise_error_table(L, "ERR wrong number of arguments");
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  Engine* e = engine_of(L);
  e->scratch = sha1_hex(s == nullptr ? std::string_view() : std::string_view(s, len));
  lua_pushlstring(L, e->scratch.data(), e->scratch.size());
  return 1;
}

// redis.error_reply(text): {err=...}, the code taken from "-CODE message" or else ERR.
int redis_error_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    return raise_error_table(L, "ERR wrong number or type of arguments");
  }
  size_t len = 0;
  const char* s = lua_tolstring(L, 1, &len);
  std::string_view text(s, len);
  if (text.starts_with('-')) text.remove_prefix(1);
  Engine* e = engine_of(L);
  const size_t space = text.find(' ');
  std::string_view code = space == std::string_view::npos ? "ERR" : text.substr(0, space);
  std::string_view message = space == std::string_view::npos ? text : text.substr(space + 1);
  while (!message.empty() && (message.back() == '\r' || message.back() == '\n')) {
    message.remove_suffix(1);
  }
  e->scratch.assign(code);
  e->scratch.append(" ").append(message);
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, e->scratch.data(), e->scratch.size());
  lua_settable(L, -3);
  return 1;
}

int redis_status_reply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
    return raise_error_table(L, "ERR wrong number or type of arguments");
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, 1);
  lua_settable(L, -3);
  return 1;
}

// redis.log: checked as Redis checks it; nothing is written (applying must not depend on,
// or flood, each replica's log).
int redis_log(lua_State* L) {
  if (lua_gettop(L) < 2)
    return raise_error_table(L, "ERR redis.log() requires two arguments or more.");
  if (!lua_isnumber(L, 1))
    return raise_error_table(L, "ERR First argument must be a number (log level).");
  const lua_Number level = lua_tonumber(L, 1);
  if (level < 0 || level > 3) return raise_error_table(L, "ERR Invalid debug level.");
  return 0;
}

int redis_setresp(lua_State* L) {
  if (lua_gettop(L) != 1) return raise_error_table(L, "ERR redis.setresp() requires one argument.");
  const lua_Number version = lua_tonumber(L, 1);
  if (version != 2 && version != 3) return raise_error_table(L, "ERR RESP version must be 2 or 3.");
  engine_of(L)->resp = static_cast<int>(version);
  return 0;
}

// Redis 7.0 replaces Lua's pcall: a caught error table {err=msg} comes back as msg, so
// `pcall(redis.call, ...)` returns false and the error text, as scripts written for Redis
// expect.
int redis_style_pcall(lua_State* L) {
  const int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

int returns_true(lua_State* L) {
  lua_pushboolean(L, 1);
  return 1;
}

int returns_false(lua_State* L) {
  lua_pushboolean(L, 0);
  return 1;
}

int returns_nothing(lua_State*) {
  return 0;
}

void set_function(lua_State* L, const char* name, lua_CFunction f) {
  lua_pushcfunction(L, f);
  lua_setfield(L, -2, name);
}

void set_number(lua_State* L, const char* name, lua_Number n) {
  lua_pushnumber(L, n);
  lua_setfield(L, -2, name);
}

void open_redis_library(lua_State* L) {
  lua_newtable(L);
  set_function(L, "call", redis_call);
  set_function(L, "pcall", redis_pcall);
  set_function(L, "sha1hex", redis_sha1hex);
  set_function(L, "error_reply", redis_error_reply);
  set_function(L, "status_reply", redis_status_reply);
  set_function(L, "log", redis_log);
  set_function(L, "setresp", redis_setresp);
  set_function(L, "set_repl", returns_nothing);  // a script's effects are its entry anyway
  set_function(L, "replicate_commands", returns_true);
  set_function(L, "breakpoint", returns_false);  // no debugger
  set_function(L, "debug", returns_nothing);
  set_number(L, "LOG_DEBUG", 0);
  set_number(L, "LOG_VERBOSE", 1);
  set_number(L, "LOG_NOTICE", 2);
  set_number(L, "LOG_WARNING", 3);
  set_number(L, "REPL_NONE", 0);
  set_number(L, "REPL_AOF", 1);
  set_number(L, "REPL_SLAVE", 2);
  set_number(L, "REPL_REPLICA", 2);
  set_number(L, "REPL_ALL", 3);
  lua_setglobal(L, "redis");
  lua_getglobal(L, "math");
  set_function(L, "random", math_random);
  set_function(L, "randomseed", math_randomseed);
  lua_pop(L, 1);
  lua_getglobal(L, "string");
  set_function(L, "rep", string_rep);
  lua_pop(L, 1);
  lua_register(L, "pcall", redis_style_pcall);
}

// The environment's __index: a global, or Redis's error for a missing one (raised from C so
// that its position is the script's line).
int global_index(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  if (!lua_isnil(L, -1)) return 1;
  const char* name = lua_isstring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 2);
  return luaL_error(L, "Script attempted to access nonexistent global variable '%s'", name);
}

int readonly_newindex(lua_State* L) {
  return luaL_error(L, "Attempt to modify a readonly table");
}

// Runs with the script's environment as its result. Hides what Redis hides, makes the
// libraries and globals read-only, and makes tostring() and loadstring() deterministic and
// safe (no bytecode: Debian's Lua does not verify it).
constexpr std::string_view kSandbox = R"lua(
local global_index, readonly_newindex = ...
local G = _G
local type, getmetatable, setmetatable, rawget = type, getmetatable, setmetatable, rawget
local raw_tostring, raw_loadstring, setfenv, format = tostring, loadstring, setfenv, string.format
for _, name in ipairs({'dofile', 'loadfile', 'print', 'getfenv', 'setfenv', 'newproxy',
                       'module', 'require'}) do
  G[name] = nil
end
local function readonly(t)
  return setmetatable({}, {__index = t, __newindex = readonly_newindex, __metatable = false})
end
for _, name in ipairs({'string', 'math', 'table', 'coroutine', 'redis', 'cjson', 'bit',
                       'struct', 'cmsgpack'}) do
  G[name] = readonly(G[name])
end
local env = setmetatable({}, {__index = global_index, __newindex = readonly_newindex,
                              __metatable = false})
G._G = env
local ids, next_id = setmetatable({}, {__mode = 'k'}), 0
G.tostring = function(v)
  local t = type(v)
  if t ~= 'table' and t ~= 'function' and t ~= 'userdata' and t ~= 'thread' then
    return raw_tostring(v)
  end
  local mt = getmetatable(v)
  if type(mt) == 'table' and rawget(mt, '__tostring') then return raw_tostring(v) end
  local id = ids[v]
  if not id then
    next_id = next_id + 1
    id = next_id
    ids[v] = id
  end
  return t .. ': ' .. format('0x%08x', id)
end
G.loadstring = function(s, name)
  if type(s) == 'string' and s:byte(1) == 27 then
    return nil, 'loadstring: precompiled chunks are not allowed'
  end
  local f, err = raw_loadstring(s, name)
  if f then setfenv(f, env) end
  return f, err
end
G.load = function(reader, name)
  local parts = {}
  while true do
    local part = reader()
    if part == nil or part == '' then break end
    parts[#parts + 1] = part
  end
  return G.loadstring(table.concat(parts), name)
end
return env
)lua";

void open_library(lua_State* L, lua_CFunction open, const char* name, const char* global) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 1);
  if (global != nullptr) lua_setglobal(L, global);
  lua_settop(L, 0);
}

// A state with Redis's libraries and sandbox, or nullptr (no memory). Outside any limit.
lua_State* open_state(Engine* e) {
  lua_State* L = lua_newstate(allocate, e);
  if (L == nullptr) return nullptr;
  open_library(L, luaopen_base, "", nullptr);
  open_library(L, luaopen_table, LUA_TABLIBNAME, nullptr);
  open_library(L, luaopen_string, LUA_STRLIBNAME, nullptr);
  open_library(L, luaopen_math, LUA_MATHLIBNAME, nullptr);
  open_library(L, luaopen_cjson, "cjson", "cjson");
  open_library(L, luaopen_bit, "bit", "bit");
  open_library(L, luaopen_struct, "struct", "struct");
  open_library(L, luaopen_cmsgpack, "cmsgpack", "cmsgpack");
  open_redis_library(L);
  if (luaL_loadbuffer(L, kSandbox.data(), kSandbox.size(), "=sandbox") != 0) {
    std::abort();  // the sandbox is part of this program: it always compiles
  }
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_pushcclosure(L, global_index, 1);
  lua_pushcfunction(L, readonly_newindex);
  lua_call(L, 2, 1);
  e->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return L;
}

// The message handler: Redis's __redis__err__handler. A plain error becomes {err='ERR ' ..
// message}; the error gets the source and line of the Lua function that raised it (skipping
// a C function such as error() or redis.call()).
int error_handler(lua_State* L) {
  if (!lua_istable(L, 1)) {
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushstring(L, "ERR ");
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
      lua_pushvalue(L, 1);
    } else if (lua_type(L, 1) == LUA_TBOOLEAN) {
      lua_pushstring(L, lua_toboolean(L, 1) ? "true" : "false");
    } else {
      lua_pushstring(L, luaL_typename(L, 1));
    }
    lua_concat(L, 2);
    lua_settable(L, -3);
    lua_replace(L, 1);
  }
  lua_Debug ar;
  bool found = lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar);
  if (found && std::strcmp(ar.what, "C") == 0)
    found = lua_getstack(L, 2, &ar) && lua_getinfo(L, "Sl", &ar);
  if (found) {
    lua_pushstring(L, "source");
    lua_pushstring(L, ar.source);
    lua_settable(L, 1);
    lua_pushstring(L, "line");
    lua_pushinteger(L, ar.currentline);
    lua_settable(L, 1);
  }
  lua_settop(L, 1);
  return 1;
}

void push_array(lua_State* L, std::span<const std::string> items) {
  lua_createtable(L, static_cast<int>(items.size()), 0);
  for (size_t i = 0; i < items.size(); ++i) {
    lua_pushlstring(L, items[i].data(), items[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
}

void set_array_global(lua_State* L, const char* name, std::span<const std::string> items) {
  push_array(L, items);
  lua_setglobal(L, name);
}

// The script as Lua loads it: a shebang line becomes a comment, so lines keep their numbers.
std::string loadable(std::string_view body) {
  std::string code(body);
  if (code.starts_with("#!")) code[0] = code[1] = '-';
  return code;
}

// The string field `name` of the table at the top, or an empty view.
std::string_view field(lua_State* L, const char* name) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  size_t len = 0;
  const char* s = lua_isstring(L, -1) ? lua_tolstring(L, -1, &len) : nullptr;
  lua_pop(L, 1);
  return s == nullptr ? std::string_view() : std::string_view(s, len);
}

// The reply of a failed run, as Redis 7.0's luaCallFunction writes it.
// `name`: the script's sha or the function's name.
void write_failure(lua_State* L, int status, std::string_view name, uint64_t memory_bytes,
                   RespWriter* out) {
  if (status == LUA_ERRMEM) {
    return out->error("ERR Error running script " + std::string(name) +
                      ": the script used more than its memory limit of " +
                      std::to_string(memory_bytes) + " bytes");
  }
  if (!lua_istable(L, -1)) {
    const char* text = lua_isstring(L, -1) ? lua_tostring(L, -1) : "execution failure";
    return out->error("ERR Error running script " + std::string(name) + ", " +
                      std::string(text).substr(0, 100));
  }
  std::string message(field(L, "err"));
  if (message.empty()) message = "ERR unknown error";
  const std::string_view source = field(L, "source");
  const std::string_view line = field(L, "line");
  if (!source.empty() && !line.empty()) {
    message += " script: " + std::string(name) + ", on " + std::string(source) + ":" +
               std::string(line) + ".";
  }
  out->error(message);
}

void start_budget(lua_State* L, Engine* e, uint64_t instructions) {
  if (instructions == 0) return;
  e->budget = instructions;
  e->step = static_cast<int>(std::min<uint64_t>(instructions, 10'000));
  e->budget_error =
      "Script exceeded the instruction limit of " + std::to_string(instructions) + " instructions";
  lua_sethook(L, count_hook, LUA_MASKCOUNT, e->step);
  e->running = L;
}

// lua_pcall within the limits, which cover the call, not the libraries and arguments set up
// for it.
int call_limited(lua_State* L, Engine* e, const ScriptLimits& limits, int nargs, int nresults,
                 int handler) {
  e->limit = limits.memory_bytes == 0 ? e->limit : e->used + limits.memory_bytes;
  e->executed = 0;
  e->exhausted = false;
  start_budget(L, e, limits.instructions);
  const int status = lua_pcall(L, nargs, nresults, handler);
  lua_sethook(L, nullptr, 0, 0);
  e->running = nullptr;
  e->limit = std::numeric_limits<uint64_t>::max();
  return status;
}

std::string compile_error(lua_State* L) {
  const char* text = lua_tostring(L, -1);
  return std::string("ERR Error compiling script (new function): ") +
         (text == nullptr ? "unknown error" : text);
}

// A run's fresh state (sandboxed, math.random seeded from `seed`), or nullptr.
lua_State* start_run(Engine* e, ScriptHost* host, uint64_t seed) {
  e->host = host;
  if (seed != 0) seed_rand48(&e->rand48, static_cast<int32_t>(seed ^ (seed >> 32)));
  return open_state(e);
}

// Calls the function under its `nargs` arguments (the error handler at index 1) within the
// limits, appends the reply and closes the state. `name`: the sha or function in errors.
void call_and_reply(lua_State* L, Engine* e, int nargs, std::string_view name,
                    const ScriptLimits& limits, RespWriter* out) {
  const int status = call_limited(L, e, limits, nargs, 1, 1);
  if (status == 0) {
    write_lua_value(L, out, e->resp == 3);
  } else {
    write_failure(L, status, name, limits.memory_bytes, out);
  }
  lua_close(L);
}

}  // namespace

std::string compile_script(std::string_view body) {
  Engine e;
  lua_State* L = lua_newstate(allocate, &e);
  if (L == nullptr) return "ERR could not create a Lua state";
  const std::string code = loadable(body);
  std::string error;
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script") != 0) error = compile_error(L);
  lua_close(L);
  return error;
}

bool run_script(const ScriptRun& run, RespWriter* out) {
  Engine e;
  lua_State* L = start_run(&e, run.host, run.seed);
  if (L == nullptr) {
    out->error("ERR could not create a Lua state");
    return true;
  }
  lua_pushcfunction(L, error_handler);
  const std::string code = loadable(run.body);
  if (luaL_loadbuffer(L, code.data(), code.size(), "@user_script") != 0) {
    out->error(compile_error(L));
    lua_close(L);
    return false;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, e.env_ref);
  lua_setfenv(L, -2);
  set_array_global(L, "KEYS", run.keys);
  set_array_global(L, "ARGV", run.args);
  call_and_reply(L, &e, 0, run.sha, run.limits, out);
  return true;
}

namespace {

constexpr const char* kRegisterArity = "ERR wrong number of arguments to redis.register_function";

bool valid_function_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The flags table of the named form, into e->pending.flags. Returns an error text or null.
const char* read_flags(lua_State* L, Engine* e, int table) {
  if (!lua_istable(L, table)) {
    return "ERR flags argument to redis.register_function must be a table representing "
           "function flags";
  }
  for (int i = 1;; ++i) {
    lua_rawgeti(L, table, i);
    if (lua_isnil(L, -1)) break;
    const char* flag = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";
    uint32_t bit = 0;
    for (size_t f = 0; f < std::size(kFunctionFlagNames); ++f) {
      if (strcasecmp(flag, kFunctionFlagNames[f].data()) == 0) bit = 1u << f;
    }
    lua_pop(L, 1);
    if (bit == 0) return "ERR unknown flag given";
    e->pending.flags |= bit;
  }
  lua_pop(L, 1);
  return nullptr;
}

// One field of register_function's named form (key at -2, value at -1). An error or null;
// the callback is left at stack index `callback`.
const char* read_named_argument(lua_State* L, Engine* e, int callback) {
  const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
  if (std::strcmp(key, "function_name") == 0) {
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
      return "ERR function_name argument given to redis.register_function must be a string";
    }
    size_t len = 0;
    const char* name = lua_tolstring(L, -1, &len);  // a copy: the key is not converted
    e->pending.name.assign(name, len);
    lua_pushboolean(L, 1);
    lua_replace(L, callback + 1);  // remember that a name was given
  } else if (std::strcmp(key, "callback") == 0) {
    if (!lua_isfunction(L, -1)) {
      return "ERR callback argument given to redis.register_function must be a function";
    }
    lua_pushvalue(L, -1);
    lua_replace(L, callback);
  } else if (std::strcmp(key, "description") == 0) {
    if (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER) {
      return "ERR description argument given to redis.register_function must be a string";
    }
    lua_pushvalue(L, -1);  // converting the copy leaves lua_next's value alone
    size_t len = 0;
    const char* text = lua_tolstring(L, -1, &len);
    e->pending.description.assign(text, len);
    e->pending.has_description = true;
    lua_pop(L, 1);
  } else if (std::strcmp(key, "flags") == 0) {
    return read_flags(L, e, lua_gettop(L));
  } else {
    return "ERR unknown argument given to redis.register_function";
  }
  return nullptr;
}

// register_function{function_name=, callback=, flags=, description=}: the callback at
// stack index 2 (nil when missing), index 3 true when a name was given. Error or null.
const char* read_named_form(lua_State* L, Engine* e) {
  lua_pushnil(L);  // 2: the callback
  lua_pushnil(L);  // 3: whether a name was given
  lua_pushnil(L);  // lua_next's first key
  while (lua_next(L, 1) != 0) {
    if (const char* error = read_named_argument(L, e, 2)) return error;
    lua_pop(L, 1);
  }
  if (lua_isnil(L, 3)) return "ERR redis.register_function must get a function name argument";
  if (lua_isnil(L, 2)) return "ERR redis.register_function must get a callback argument";
  return nullptr;
}

// register_function(name, callback): leaves the callback at index 2. Error or null.
const char* read_positional_form(lua_State* L, Engine* e) {
  if (lua_type(L, 1) != LUA_TSTRING && lua_type(L, 1) != LUA_TNUMBER) {
    // (Redis 7.0 crashes here; a name that is not a string is refused instead.)
    return "ERR function_name argument given to redis.register_function must be a string";
  }
  size_t len = 0;
  const char* name = lua_tolstring(L, 1, &len);
  e->pending.name.assign(name, len);
  if (!lua_isfunction(L, 2))
    return "ERR second argument to redis.register_function must be a function";
  lua_settop(L, 2);
  return nullptr;
}

// redis.register_function, the only thing a library's code may do (besides redis.log).
int redis_register_function(lua_State* L) {
  Engine* e = engine_of(L);
  e->pending = RegisteredFunction{};
  const int argc = lua_gettop(L);
  const char* error = nullptr;
  if (argc == 1 && !lua_istable(L, 1)) {
    error =
        "ERR calling redis.register_function with a single argument is only applicable to "
        "Lua table (representing named arguments).";
  } else if (argc == 1) {
    error = read_named_form(L, e);
  } else if (argc == 2) {
    error = read_positional_form(L, e);
  } else {
    error = kRegisterArity;
  }
  if (error == nullptr && !valid_function_name(e->pending.name)) {
    error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be "
        "at least one character long";
  }
  if (error == nullptr) {
    for (const RegisteredFunction& f : e->registered) {
      if (f.name == e->pending.name) error = "ERR Function already exists in the library";
    }
  }
  if (error != nullptr) return raise_error_table(L, error);
  lua_rawgeti(L, LUA_REGISTRYINDEX, e->functions_ref);
  lua_pushlstring(L, e->pending.name.data(), e->pending.name.size());
  lua_pushvalue(L, 2);
  lua_rawset(L, -3);
  e->registered.push_back(std::move(e->pending));
  return 0;
}

// Replaces the table at the top by a metatable under which missing fields raise Redis's
// nonexistent-global error (looked up in that table) and no field may be set.
void push_guard_metatable(lua_State* L) {
  lua_newtable(L);
  lua_insert(L, -2);
  lua_pushcclosure(L, global_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, readonly_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
}

// Pushes a library's environment and leaves its metatable below it: while the code loads,
// its globals are `redis` with the load-time API alone (load_into() then makes them the
// scripts' globals).
void push_library_env(lua_State* L) {
  lua_newtable(L);  // the load-time globals
  lua_newtable(L);  // the load-time redis
  set_function(L, "register_function", redis_register_function);
  set_function(L, "log", redis_log);
  set_number(L, "LOG_DEBUG", 0);
  set_number(L, "LOG_VERBOSE", 1);
  set_number(L, "LOG_NOTICE", 2);
  set_number(L, "LOG_WARNING", 3);
  push_guard_metatable(L);
  lua_newtable(L);  // redis itself: empty, all through its metatable
  lua_insert(L, -2);
  lua_setmetatable(L, -2);
  lua_setfield(L, -2, "redis");
  push_guard_metatable(L);
  lua_newtable(L);  // the environment
  lua_pushvalue(L, -2);
  lua_setmetatable(L, -2);
}

// The text of a failed load's error value.
std::string load_error_text(lua_State* L, int status) {
  if (status == LUA_ERRMEM) return "not enough memory";
  if (lua_istable(L, -1)) {
    const std::string_view err = field(L, "err");
    return err.empty() ? "ERR unknown error" : std::string(err);
  }
  const char* text = lua_tostring(L, -1);
  return std::string("ERR ") + (text == nullptr ? "unknown error" : text);
}

// Loads the library into a fresh state: empty, or FUNCTION LOAD's error. On success the
// state holds the functions (e->functions_ref), their environment now the scripts' globals.
std::string load_into(lua_State* L, Engine* e, std::string_view code, const ScriptLimits& limits) {
  lua_newtable(L);
  e->functions_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  push_library_env(L);  // metatable, environment
  const std::string chunk = loadable(code);
  if (luaL_loadbuffer(L, chunk.data(), chunk.size(), "@user_function") != 0) {
    const char* text = lua_tostring(L, -1);
    return std::string("ERR Error compiling function: ") + (text == nullptr ? "" : text);
  }
  lua_pushvalue(L, -2);
  lua_setfenv(L, -2);
  const int status = call_limited(L, e, limits, 0, 0, 0);
  if (status != 0 && e->exhausted)
    return "ERR Error registering functions: ERR FUNCTION LOAD timeout";
  if (status != 0) return "ERR Error registering functions: " + load_error_text(L, status);
  lua_pop(L, 1);  // the environment; its metatable stays
  lua_rawgeti(L, LUA_REGISTRYINDEX, e->env_ref);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  return {};
}

}  // namespace

std::string load_library(std::string_view code, const ScriptLimits& limits,
                         std::vector<RegisteredFunction>* functions) {
  Engine e;
  lua_State* L = open_state(&e);
  if (L == nullptr) return "ERR could not create a Lua state";
  std::string error = load_into(L, &e, code, limits);
  lua_close(L);
  if (error.empty()) *functions = std::move(e.registered);
  return error;
}

void run_function(const FunctionRun& run, RespWriter* out) {
  Engine e;
  lua_State* L = start_run(&e, run.host, run.seed);
  if (L == nullptr) return out->error("ERR could not create a Lua state");
  if (std::string error = load_into(L, &e, run.code, run.limits); !error.empty()) {
    lua_close(L);
    return out->error(error);  // it loaded when FUNCTION LOAD ran: not expected
  }
  e.resp = 2;  // what the library's load set is not the call's
  lua_settop(L, 0);
  lua_pushcfunction(L, error_handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, e.functions_ref);
  lua_pushlstring(L, run.name.data(), run.name.size());
  lua_rawget(L, -2);
  lua_remove(L, -2);
  push_array(L, run.keys);
  push_array(L, run.args);
  call_and_reply(L, &e, 2, run.name, run.limits, out);
}

}  // namespace raftkv::kv
