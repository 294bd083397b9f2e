#include "kv/scripting.h"

#include "kv/acl.h"

#include "kv/data_commands.h"
#include "kv/function_commands.h"
#include "kv/int_parse.h"
#include "kv/local_commands.h"
#include "kv/sha1.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
  return out;
}

bool is_eval(CommandId id) {
  return id == kEval || id == kEvalRo;
}

// The flags of a "#!lua flags=a,b" first line (Redis 7.0's), or its error text.
std::string parse_shebang(std::string_view body, bool* no_writes) {
  *no_writes = false;
  if (!body.starts_with("#!")) return {};
  std::string_view line = body.substr(0, body.find('\n'));
  bool first = true;
  while (!line.empty()) {
    const size_t end = line.find(' ');
    const std::string_view part = line.substr(0, end);
    line = end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
    if (part.empty()) continue;
    if (first) {
      if (part != "#!lua") return "ERR Unexpected engine in script shebang: " + std::string(part);
      first = false;
      continue;
    }
    if (!part.starts_with("flags=")) return "ERR Unknown lua shebang option: " + std::string(part);
    std::string_view flags = part.substr(6);
    while (!flags.empty()) {
      const size_t comma = flags.find(',');
      const std::string_view flag = flags.substr(0, comma);
      flags = comma == std::string_view::npos ? std::string_view() : flags.substr(comma + 1);
      if (flag == "no-writes") {
        *no_writes = true;
      } else if (flag != "allow-oom" && flag != "allow-stale" && flag != "no-cluster" &&
                 flag != "allow-cross-slot-keys" && !flag.empty()) {
        return "ERR Unexpected flag in script shebang: " + std::string(flag);
      }
    }
  }
  return {};
}

}  // namespace

std::string validate_numkeys(std::span<const std::string> argv, std::string_view not_integer) {
  const auto numkeys = parse_int64(argv[2]);
  if (!numkeys) return std::string(not_integer);
  if (*numkeys < 0) return "ERR Number of keys can't be negative";
  if (static_cast<uint64_t>(*numkeys) > argv.size() - 3) {
    return "ERR Number of keys can't be greater than number of args";
  }
  return {};
}

namespace {

std::string validate_script_subcommand(std::span<const std::string> argv) {
  const std::string sub = lower(argv[1]);
  const size_t n = argv.size();
  if (sub == "load") {
    if (n != 3) return wrong_arity_error("script|load");
    bool no_writes = false;
    return parse_shebang(argv[2], &no_writes);
  }
  if (sub == "exists") return n >= 3 ? "" : wrong_arity_error("script|exists");
  if (sub == "flush") {
    if (n == 2 || (n == 3 && (equals_ci(argv[2], "sync") || equals_ci(argv[2], "async"))))
      return {};
    return "ERR SCRIPT FLUSH only support SYNC|ASYNC option";
  }
  if (sub == "kill" || sub == "help") return n == 2 ? "" : wrong_arity_error("script|" + sub);
  return unknown_subcommand_error(argv[1], "script");
}

constexpr std::string_view kScriptCommandDenied =
    "ERR The user executing the script can't run this command or subcommand";
constexpr std::string_view kScriptKeyDenied =
    "ERR The user executing the script can't access at least one of the keys mentioned in the "
    "command arguments";
constexpr std::string_view kScriptChannelDenied =
    "ERR The user executing the script can't publish to the channel mentioned in the command";

// What a script may call: data commands, PING, ECHO, SELECT and TIME; not the commands
// that are about connections, transactions, sessions, scripts or the server.
bool allowed_in_script(const CommandSpec& spec) {
  switch (spec.id) {
    case kPing:
    case kEcho:
    case kSelect:
    case kTime:
      return true;
    case kExec:
    case kWatch:
    case kSession:
    case kSeq:
    case kAcl:
      return false;
    default:
      // Not BLPOP and the like either (noscript, as in Redis 7.0; BLMPOP and BZMPOP may).
      return !is_script_command(spec.id) && (spec.flags & kFlagNoScript) == 0 &&
             (spec.route == Route::kRead || spec.route == Route::kWrite);
  }
}

}  // namespace

void StoreHost::call(const std::vector<std::string>& argv, RespWriter* out) {
  const CommandSpec* spec = find_command(argv[0]);
  if (spec == nullptr) return out->error("ERR Unknown Redis command called from script");
  if (!arity_matches(*spec, argv.size())) {
    return out->error("ERR Wrong number of args calling Redis command from script");
  }
  if (!allowed_in_script(*spec)) {
    return out->error("ERR This Redis command is not allowed from script");
  }
  const Classification c = classify(argv);
  if (!c.ok()) return out->error(c.error);
  if (const AclUser* user = context_.acl_user; user != nullptr && !user->unrestricted) {
    const AclDenial denial = check_acl(*user, *c.spec, argv).denial;  // as Redis checks it
    if (denial == AclDenial::kCommand) return out->error(kScriptCommandDenied);
    if (denial == AclDenial::kKey) return out->error(kScriptKeyDenied);
    if (denial == AclDenial::kChannel) return out->error(kScriptChannelDenied);
  }
  if (c.spec->id == kTime) {
    // Log time: the same on every replica.
    out->array_header(2);
    out->bulk(std::to_string(context_.now_ms / 1000));
    out->bulk(std::to_string(context_.now_ms % 1000 * 1000));
    return;
  }
  if (c.route == Route::kWrite) {
    if (read_only_ || store_ == nullptr) return out->error(kReadOnlyScriptError);
    return execute_write(*store_, *c.spec, argv, context_, out);
  }
  if (c.route == Route::kRead) {
    return execute_read(view_, *c.spec, argv, context_.now_ms, out, /*in_script=*/true);
  }
  ClientState none;  // PING, ECHO, SELECT: no connection state involved
  execute_local(*c.spec, argv, &none, out);
}

namespace {

// Runs `body` as EVAL would with argv's numkeys, keys and arguments. False: did not compile.
bool run_body(std::string_view body, std::span<const std::string> argv, StoreHost& host,
              const ScriptLimits& limits, uint64_t seed, RespWriter* out) {
  const auto numkeys = static_cast<size_t>(*parse_int64(argv[2]));  // validated
  const std::string sha = sha1_hex(body);
  ScriptRun run;
  run.body = body;
  run.sha = sha;
  run.keys = argv.subspan(3, numkeys);
  run.args = argv.subspan(3 + numkeys);
  run.seed = seed;
  run.limits = limits;
  run.host = &host;
  return run_script(run, out);
}

// The script an EVAL-family command names: its body, or nullptr (NOSCRIPT).
const std::string* script_of(const ScriptCache& cache, const CommandSpec& spec,
                             std::span<const std::string> argv) {
  return is_eval(spec.id) ? &argv[1] : cache.find(argv[1]);
}

void run_named(KvStore* store, const KvStore& view, Scripts* writable, const Scripts& scripts,
               const CommandSpec& spec, std::span<const std::string> argv, WriteContext context,
               RespWriter* out) {
  if (const std::string error = validate_script_arguments(spec, argv); !error.empty()) {
    return out->error(error);
  }
  const std::string* body = script_of(scripts.cache, spec, argv);
  if (body == nullptr) return out->error(kNoScriptError);
  bool no_writes = false;
  if (const std::string error = parse_shebang(*body, &no_writes); !error.empty()) {
    return out->error(error);
  }
  const bool read_only = no_writes || spec.id == kEvalRo || spec.id == kEvalshaRo;
  StoreHost host(read_only ? nullptr : store, view, context, read_only);
  const bool compiled = run_body(*body, argv, host, scripts.limits, context.index, out);
  // EVAL caches what it ran, as Redis does; a read-only run changes nothing.
  if (compiled && spec.id == kEval && writable != nullptr && !read_only) {
    writable->cache.add(*body);
  }
}

void script_exists(const ScriptCache& cache, std::span<const std::string> argv, RespWriter* out) {
  out->array_header(argv.size() - 2);
  for (size_t i = 2; i < argv.size(); ++i) out->integer(cache.find(argv[i]) != nullptr ? 1 : 0);
}

}  // namespace

std::string ScriptCache::add(std::string_view body) {
  std::string sha = sha1_hex(body);
  scripts_.try_emplace(sha, body);
  return sha;
}

const std::string* ScriptCache::find(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  const auto it = scripts_.find(lower(sha));
  return it == scripts_.end() ? nullptr : &it->second;
}

std::string validate_script_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  if (is_function_command(spec.id)) return validate_function_arguments(spec, argv);
  if (spec.id == kScript) return validate_script_subcommand(argv);
  if (std::string error = validate_numkeys(argv, kNotInteger); !error.empty()) return error;
  bool no_writes = false;
  return is_eval(spec.id) ? parse_shebang(argv[1], &no_writes) : std::string();
}

Route script_route(const CommandSpec& spec, std::span<const std::string> argv) {
  if (is_function_command(spec.id)) return function_route(spec, argv);
  if (spec.id == kScript) {
    const std::string sub = lower(argv[1]);
    if (sub == "exists") return Route::kRead;
    if (sub == "load" || sub == "flush") return Route::kWrite;
    return Route::kLocal;
  }
  bool no_writes = false;
  if (spec.id == kEval && parse_shebang(argv[1], &no_writes).empty() && no_writes) {
    return Route::kRead;
  }
  return spec.route;
}

void execute_script_write(KvStore& store, Scripts& scripts, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out) {
  if (is_function_command(spec.id)) {
    return execute_function_write(store, scripts, spec, argv, context, out);
  }
  if (spec.id != kScript)
    return run_named(&store, store, &scripts, scripts, spec, argv, context, out);
  if (const std::string error = validate_script_subcommand(argv); !error.empty()) {
    return out->error(error);
  }
  const std::string sub = lower(argv[1]);
  if (sub == "load") {
    if (std::string error = compile_script(argv[2]); !error.empty()) return out->error(error);
    return out->bulk(scripts.cache.add(argv[2]));
  }
  if (sub == "flush") {
    scripts.cache.clear();
    return out->simple("OK");
  }
  if (sub == "exists") return script_exists(scripts.cache, argv, out);
  execute_script_local(argv, out);
}

void execute_script_read(const KvStore& store, const Scripts& scripts, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now_ms, RespWriter* out,
                         const AclUser* user) {
  if (is_function_command(spec.id)) {
    return execute_function_read(store, scripts, spec, argv, now_ms, out, user);
  }
  if (spec.id == kScript) {
    if (const std::string error = validate_script_subcommand(argv); !error.empty()) {
      return out->error(error);
    }
    if (!equals_ci(argv[1], "exists")) return out->error("ERR not a read command");
    return script_exists(scripts.cache, argv, out);
  }
  // A read has no log index: seed 0, Redis's generator as it starts.
  run_named(nullptr, store, nullptr, scripts, spec, argv, WriteContext{now_ms, 0, user}, out);
}

void execute_script_local(std::span<const std::string> argv, RespWriter* out) {
  if (equals_ci(argv[0], "function")) return execute_function_local(argv, out);
  if (equals_ci(argv[1], "kill")) return out->error("NOTBUSY No scripts in execution right now.");
  static constexpr std::string_view kHelp[] = {
      "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "EXISTS <sha1> [<sha1> ...]",
      "    Return information about the existence of the scripts in the script cache.",
      "FLUSH [ASYNC|SYNC]",
      "    Flush the Lua scripts cache. Very dangerous on replicas.",
      "    Valid modes are:",
      "    * ASYNC: Asynchronously flush the scripts cache.",
      "    * SYNC: Synchronously flush the scripts cache.",
      "KILL",
      "    Kill the currently executing Lua script.",
      "LOAD <script>",
      "    Load a script into the scripts cache without executing it.",
      "HELP",
      "    Prints this help.",
  };
  out->help_lines(kHelp);
}

}  // namespace raftkv::kv
