// Running one Lua script as Redis 7.0 does (the EVAL family, scripting.h), deterministically.
//
// Every run gets a fresh Lua 5.1 state: nothing a script leaves behind (globals, the
// random generator, garbage, table layouts, the memory in use) can reach a later script,
// and a replica that restored a snapshot runs a script exactly as one that applied the
// whole log. What a script may observe depends only on its body, its KEYS and ARGV, the
// seed and the store:
//   - math.random is Redis's rand48 generator seeded with `seed` (no libc rand()); seed 0
//     leaves it as Redis starts it (a fresh redis-server's first math.random(1000) is 397);
//   - tostring() of a table, function or coroutine shows a number in order of first use,
//     not an address;
//   - os, io, print, loadfile, dofile, require, getfenv, setfenv are not there; loadstring
//     and load refuse precompiled chunks; globals and the libraries are read-only, with
//     Redis's errors;
//   - the script fails after `limits.instructions` VM instructions (counted in steps of
//     at most 10,000), at the same instruction on every replica, and cannot catch that
//     with pcall: from then on every instruction raises the error again;
//   - its allocations beyond `limits.memory_bytes` fail ("not enough memory").
// Libraries: Redis's cjson and bit (Debian's lua-cjson and lua-bitop, linked statically),
// struct (lua_struct.h) and cmsgpack (lua_cmsgpack.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/resp_writer.h"

namespace raftkv::kv {

struct ScriptLimits {
  uint64_t instructions = 100'000'000;  // about half a second of Lua on one core
  uint64_t memory_bytes = 64ull << 20;
};

// What redis.call and redis.pcall run: a command named by the script.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Appends the command's RESP reply (an error reply when it may not run). Never throws.
  virtual void call(const std::vector<std::string>& argv, RespWriter* out) = 0;
};

struct ScriptRun {
  std::string_view body;  // the script as the client sent it (a shebang line is skipped)
  std::string_view sha;   // its name in error messages
  std::span<const std::string> keys;
  std::span<const std::string> args;
  uint64_t seed = 0;
  ScriptLimits limits;
  ScriptHost* host = nullptr;
};

// Compiles the script without running it: empty, or Redis's "ERR Error compiling script
// (new function): user_script:1: ..." text.
std::string compile_script(std::string_view body);

// Runs the script and appends its reply: its result converted to RESP (lua_values.h), or
// its error as Redis 7.0 formats it ("ERR user_script:1: boom script: <sha>, on
// @user_script:1.").
// Returns false when the script did not compile (the reply is then the compile error).
bool run_script(const ScriptRun& run, RespWriter* out);

// Redis 7.0 functions (FUNCTION LOAD, FCALL; function_library.h).
//
// A library's code runs when it is loaded, with nothing but redis.register_function,
// redis.log and the redis.LOG_ levels (Redis's load-time API; anything else is a missing
// global), and registers its functions. FCALL runs the library's code again in a fresh
// state (as EVAL does: nothing is left behind between calls, on any replica), then calls
// the function with its KEYS and ARGV tables as arguments; the function sees the same
// globals as an EVAL script, except KEYS and ARGV.

// A function's flags, in the order FUNCTION LIST shows them (kFunctionFlagNames).
enum FunctionFlag : uint32_t {
  kFunctionNoWrites = 1u << 0,
  kFunctionAllowOom = 1u << 1,
  kFunctionAllowStale = 1u << 2,
  kFunctionNoCluster = 1u << 3,
  kFunctionAllowCrossSlot = 1u << 4,
};
inline constexpr std::string_view kFunctionFlagNames[] = {"no-writes", "allow-oom", "allow-stale",
                                                          "no-cluster", "allow-cross-slot-keys"};

struct RegisteredFunction {
  std::string name;
  std::string description;
  bool has_description = false;
  uint32_t flags = 0;  // FunctionFlag bits
  bool operator==(const RegisteredFunction&) const = default;
};

// Runs a library's code (its shebang line included) as FUNCTION LOAD does. Empty, with the
// functions it registered (in order), or Redis 7.0's error: "ERR Error compiling function:
// ...", "ERR Error registering functions: ..." (the instruction budget: "... ERR FUNCTION
// LOAD timeout", as Redis's time limit).
std::string load_library(std::string_view code, const ScriptLimits& limits,
                         std::vector<RegisteredFunction>* functions);

struct FunctionRun {
  std::string_view code;  // the library, as loaded
  std::string_view name;  // the function, as registered
  std::span<const std::string> keys;
  std::span<const std::string> args;
  uint64_t seed = 0;
  ScriptLimits limits;
  ScriptHost* host = nullptr;
};

// Calls the function and appends its reply, errors as Redis 7.0 formats a function's
// ("ERR user_function:3: boom script: <name>, on @user_function:3.").
void run_function(const FunctionRun& run, RespWriter* out);

}  // namespace raftkv::kv
