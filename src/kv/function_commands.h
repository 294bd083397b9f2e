// FCALL, FCALL_RO and FUNCTION on the replicated state (Redis 7.0's replies; docs/kv.md,
// "Functions"). The libraries live in Scripts::functions (function_library.h).
//
// Functions are replicated as scripts are (scripting.h): FUNCTION LOAD, DELETE and FLUSH
// are log entries, loading is deterministic, so every replica holds the same libraries.
// FCALL is a log entry that runs the function at apply time on every replica (log time,
// randomness seeded from the entry, the same limits as EVAL). FCALL_RO of a function with
// the no-writes flag is a linearizable read, as EVAL_RO is; FCALL of a no-writes function
// still goes through the log (its flags are state, not in the arguments) but may not write.
#pragma once

#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/scripting.h"

namespace raftkv::kv {

inline bool is_function_command(CommandId id) {
  return id == CommandId::kFcall || id == CommandId::kFcallRo || id == CommandId::kFunction;
}

// FUNCTION's subcommands, arity and options, checked before proposing. (FCALL's numkeys is
// checked when it runs, after the function is found, as Redis orders its errors.)
std::string validate_function_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// LOAD, DELETE, FLUSH: writes; LIST, STATS: reads; HELP, KILL: local. FCALL and FCALL_RO as
// the table says.
Route function_route(const CommandSpec& spec, std::span<const std::string> argv);

// At apply time (also in a transaction): FCALL, FCALL_RO and every FUNCTION subcommand.
void execute_function_write(KvStore& store, Scripts& scripts, const CommandSpec& spec,
                            std::span<const std::string> argv, const WriteContext& context,
                            RespWriter* out);

// On the read path: FCALL_RO, FUNCTION LIST and STATS.
void execute_function_read(const KvStore& store, const Scripts& scripts, const CommandSpec& spec,
                           std::span<const std::string> argv, uint64_t now_ms, RespWriter* out,
                           const AclUser* user);

// FUNCTION HELP and FUNCTION KILL.
void execute_function_local(std::span<const std::string> argv, RespWriter* out);

}  // namespace raftkv::kv
