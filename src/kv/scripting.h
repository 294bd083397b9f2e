// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT on the replicated state (Redis 7.0's
// replies; docs/kv.md, "Scripts").
//
// A write script is replicated as itself: its EVAL (or EVALSHA) entry runs at apply time on
// every replica, against the store, through the same command handlers as a client's
// commands (execute_write / execute_read), at the entry's log time and index. So every
// replica computes the same writes and the same reply, provided the script does the same
// thing everywhere; lua_engine.h makes sure it does (a fresh Lua state per run, math.random
// seeded from the log index, TIME inside a script is log time, an instruction budget and a
// memory bound that stop it at the same point everywhere). As in Redis, a script that fails
// keeps the writes it made before failing.
//
// The script cache (sha -> body) is replicated state: SCRIPT LOAD and SCRIPT FLUSH are log
// entries, EVAL adds its script when applied, and the cache is in the snapshot. EVALSHA of
// a script the applying replica does not have answers NOSCRIPT, the same everywhere.
//
// A read-only script (EVAL_RO, EVALSHA_RO, or EVAL of a script whose shebang has
// flags=no-writes) is a linearizable read: it runs on the leader's read path, may not write
// ("ERR Write commands are not allowed from read-only scripts.") and, changing no state, does
// not add itself to the cache.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/function_library.h"
#include "kv/kv_store.h"
#include "kv/lua_engine.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

inline constexpr std::string_view kNoScriptError = "NOSCRIPT No matching script. Please use EVAL.";
inline constexpr std::string_view kReadOnlyScriptError =
    "ERR Write commands are not allowed from read-only scripts.";

// Scripts by SHA-1 (lower-case hex), in sha order (the snapshot's canonical order).
class ScriptCache {
 public:
  // Adds the script; returns its sha.
  std::string add(std::string_view body);
  // The body of the script named `sha` (any case), or nullptr.
  const std::string* find(std::string_view sha) const;
  void clear() { scripts_.clear(); }
  size_t size() const { return scripts_.size(); }
  const std::map<std::string, std::string, std::less<>>& scripts() const { return scripts_; }
  bool operator==(const ScriptCache&) const = default;

 private:
  std::map<std::string, std::string, std::less<>> scripts_;
};

// The replicated scripting state: the cache, the function libraries, and limits that must be
// equal on every replica.
struct Scripts {
  ScriptCache cache;
  ScriptLimits limits;
  FunctionLibraries functions;
};

// The EVAL family, SCRIPT, FCALL, FCALL_RO and FUNCTION: they run on the Scripts state.
inline bool is_script_command(CommandId id) {  // inline: asked on every request
  return id >= CommandId::kEval && id <= CommandId::kFunction;
}

// The commands that are containers of subcommands (no keys, no scripts run).
inline bool is_script_admin_command(CommandId id) {
  return id == CommandId::kScript || id == CommandId::kFunction;
}

// redis.call's commands, against the store at the script's (or function's) time: writes
// into `store` (null, or `read_only`: refused with kReadOnlyScriptError), reads from `view`.
class StoreHost final : public ScriptHost {
 public:
  StoreHost(KvStore* store, const KvStore& view, WriteContext context, bool read_only)
      : store_(store), view_(view), context_(context), read_only_(read_only) {
    context_.in_script = true;
  }
  void call(const std::vector<std::string>& argv, RespWriter* out) override;

 private:
  KvStore* store_;
  const KvStore& view_;
  WriteContext context_;
  bool read_only_;
};

// EVAL's and FCALL's numkeys (argv[2]): empty, `not_integer` for one that is not a number,
// or Redis's error for a negative count or one larger than the arguments that follow.
std::string validate_numkeys(std::span<const std::string> argv, std::string_view not_integer);

// The checks classify() makes before proposing: numkeys, the shebang, SCRIPT's subcommand
// and arity. Empty when acceptable.
std::string validate_script_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// Where a validated script command goes: EVAL of a no-writes script and SCRIPT EXISTS are
// reads, SCRIPT LOAD and FLUSH writes, SCRIPT HELP and KILL local; the rest as the table says.
Route script_route(const CommandSpec& spec, std::span<const std::string> argv);

// At apply time: EVAL, EVALSHA, SCRIPT LOAD, SCRIPT FLUSH (and any script command in a
// transaction). Appends the reply.
void execute_script_write(KvStore& store, Scripts& scripts, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out);

// On the read path: EVAL_RO, EVALSHA_RO, EVAL of a no-writes script, SCRIPT EXISTS, at time
// `now_ms` (keys due by then read as absent; TIME inside the script).
// `user`: the ACL user the script's commands are checked against (null: unchecked).
void execute_script_read(const KvStore& store, const Scripts& scripts, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now_ms, RespWriter* out,
                         const AclUser* user = nullptr);

// SCRIPT HELP and SCRIPT KILL, FUNCTION HELP and FUNCTION KILL (nothing is ever running
// between commands: NOTBUSY).
void execute_script_local(std::span<const std::string> argv, RespWriter* out);

}  // namespace raftkv::kv
