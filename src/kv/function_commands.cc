#include "kv/function_commands.h"

#include "kv/ascii.h"
#include "kv/command_support.h"
#include "kv/dump_payload.h"
#include "kv/glob.h"
#include "kv/int_parse.h"
#include "kv/rdb_primitives.h"

namespace raftkv::kv {

namespace {

using enum CommandId;

// FUNCTION LIST's options: [LIBRARYNAME pattern] [WITHCODE], each at most once.
struct ListOptions {
  const std::string* pattern = nullptr;
  bool with_code = false;
};

std::string parse_list_options(std::span<const std::string> argv, ListOptions* options) {
  for (size_t i = 2; i < argv.size(); ++i) {
    if (equals_ci(argv[i], "withcode") && !options->with_code) {
      options->with_code = true;
    } else if (equals_ci(argv[i], "libraryname") && options->pattern == nullptr) {
      if (i + 1 == argv.size()) return "ERR library name argument was not given";
      options->pattern = &argv[++i];
    } else {
      return "ERR Unknown argument " + argv[i];
    }
  }
  return {};
}

std::string validate_load(std::span<const std::string> argv) {
  if (argv.size() < 3) return wrong_arity_error("function|load");
  for (size_t i = 2; i + 1 < argv.size(); ++i) {
    if (!equals_ci(argv[i], "replace")) return "ERR Unknown option given: " + argv[i];
  }
  return {};
}

std::string validate_flush(std::span<const std::string> argv) {
  if (argv.size() > 3) {
    return "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.";
  }
  if (argv.size() == 3 && !equals_ci(argv[2], "sync") && !equals_ci(argv[2], "async")) {
    return "ERR FUNCTION FLUSH only supports SYNC|ASYNC option";
  }
  return {};
}

// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: the policy, APPEND when not given.
enum class RestorePolicy : uint8_t { kAppend, kReplace, kFlush };

std::string parse_restore_policy(std::span<const std::string> argv, RestorePolicy* policy) {
  if (argv.size() < 3) return wrong_arity_error("function|restore");
  if (argv.size() > 4) {
    return "ERR unknown subcommand or wrong number of arguments for 'RESTORE'. Try FUNCTION HELP.";
  }
  *policy = RestorePolicy::kAppend;
  if (argv.size() == 3 || equals_ci(argv[3], "append")) return {};
  if (equals_ci(argv[3], "replace")) {
    *policy = RestorePolicy::kReplace;
  } else if (equals_ci(argv[3], "flush")) {
    *policy = RestorePolicy::kFlush;
  } else {
    return "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.";
  }
  return {};
}

std::string validate_subcommand(std::span<const std::string> argv) {
  const std::string sub = ascii_lower(argv[1]);
  const size_t n = argv.size();
  if (sub == "load") return validate_load(argv);
  if (sub == "dump") return n == 2 ? "" : wrong_arity_error("function|dump");
  if (sub == "restore") {
    RestorePolicy policy;
    return parse_restore_policy(argv, &policy);
  }
  if (sub == "delete") return n == 3 ? "" : wrong_arity_error("function|delete");
  if (sub == "flush") return validate_flush(argv);
  if (sub == "list") {
    ListOptions options;
    return parse_list_options(argv, &options);
  }
  if (sub == "stats" || sub == "kill" || sub == "help") {
    return n == 2 ? "" : wrong_arity_error("function|" + sub);
  }
  return unknown_subcommand_error(argv[1], "function");
}

void write_function(const RegisteredFunction& f, RespWriter* out) {
  out->array_header(6);
  out->bulk("name");
  out->bulk(f.name);
  out->bulk("description");
  f.has_description ? out->bulk(f.description) : out->null_bulk();
  out->bulk("flags");
  size_t count = 0;
  for (size_t i = 0; i < std::size(kFunctionFlagNames); ++i) count += (f.flags >> i) & 1;
  out->array_header(count);
  for (size_t i = 0; i < std::size(kFunctionFlagNames); ++i) {
    if ((f.flags >> i) & 1) out->simple(kFunctionFlagNames[i]);
  }
}

void function_list(const FunctionLibraries& functions, std::span<const std::string> argv,
                   RespWriter* out) {
  ListOptions options;
  if (std::string error = parse_list_options(argv, &options); !error.empty()) {
    return out->error(error);
  }
  std::vector<const FunctionLibrary*> shown;
  for (const auto& [name, library] : functions.libraries()) {
    if (options.pattern == nullptr || glob_match(*options.pattern, name)) shown.push_back(&library);
  }
  out->array_header(shown.size());
  for (const FunctionLibrary* library : shown) {
    out->array_header(options.with_code ? 8 : 6);
    out->bulk("library_name");
    out->bulk(library->name);
    out->bulk("engine");
    out->bulk("LUA");
    out->bulk("functions");
    out->array_header(library->functions.size());
    for (const RegisteredFunction& f : library->functions) write_function(f, out);
    if (options.with_code) {
      out->bulk("library_code");
      out->bulk(library->code);
    }
  }
}

// Nothing is ever running between commands: running_script is nil.
void function_stats(const FunctionLibraries& functions, RespWriter* out) {
  out->array_header(4);
  out->bulk("running_script");
  out->null_bulk();
  out->bulk("engines");
  out->array_header(2);
  out->bulk("LUA");
  out->array_header(4);
  out->bulk("libraries_count");
  out->integer(static_cast<int64_t>(functions.libraries().size()));
  out->bulk("functions_count");
  out->integer(static_cast<int64_t>(functions.function_count()));
}

// FCALL and FCALL_RO: `store` null on the read path. Redis's order of errors: the function,
// then numkeys, then FCALL_RO of a function that may write.
void fcall(KvStore* store, const KvStore& view, const Scripts& scripts, const CommandSpec& spec,
           std::span<const std::string> argv, const WriteContext& context, RespWriter* out) {
  const FunctionLibraries::Found found = scripts.functions.find(argv[1]);
  if (found.function == nullptr) return out->error("ERR Function not found");
  if (std::string error = validate_numkeys(argv, "ERR Bad number of keys provided");
      !error.empty()) {
    return out->error(error);
  }
  const bool no_writes = (found.function->flags & kFunctionNoWrites) != 0;
  if (spec.id == kFcallRo && !no_writes) {
    return out->error("ERR Can not execute a script with write flag using *_ro command.");
  }
  const bool read_only = no_writes || store == nullptr;
  StoreHost host(read_only ? nullptr : store, view, context, read_only);
  const auto numkeys = static_cast<size_t>(*parse_int64(argv[2]));  // validated
  FunctionRun run;
  run.code = found.library->code;
  run.name = found.function->name;
  run.keys = argv.subspan(3, numkeys);
  run.args = argv.subspan(3 + numkeys);
  run.seed = context.index;
  run.limits = scripts.limits;
  run.host = &host;
  run_function(run, out);
}

// Redis's RDB opcode for a function library (RDB_OPCODE_FUNCTION2): its code follows as an
// RDB string.
constexpr uint8_t kRdbOpcodeFunction = 245;

// FUNCTION DUMP: every library's code, in name order, framed as a DUMP payload.
void function_dump(const FunctionLibraries& functions, RespWriter* out) {
  std::string body;
  RdbWriter w(&body);
  for (const std::string& code : functions.codes()) {
    w.u8(kRdbOpcodeFunction);
    w.string(code);
  }
  out->bulk(frame_dump_payload(std::move(body)));
}

// The libraries' codes in a FUNCTION DUMP payload, or Redis's error.
std::string parse_function_payload(std::string_view payload, std::vector<std::string>* codes) {
  const auto body = unframe_dump_payload(payload);
  if (!body) return body.error();
  RdbReader r(*body);
  while (r.remaining() > 0) {
    uint8_t type = 0;
    std::string code;
    if (!r.u8(&type)) return "ERR payload is truncated";
    if (type != kRdbOpcodeFunction) return "ERR given type is not a function";
    if (!r.string(&code)) return "ERR failed loading the library code";
    codes->push_back(std::move(code));
  }
  return {};
}

// FUNCTION RESTORE: all of the payload's libraries, or (on any error) none.
std::string function_restore(Scripts& scripts, std::span<const std::string> argv) {
  RestorePolicy policy;
  if (std::string error = parse_restore_policy(argv, &policy); !error.empty()) return error;
  std::vector<std::string> codes;
  if (std::string error = parse_function_payload(argv[2], &codes); !error.empty()) return error;
  FunctionLibraries next;
  if (policy != RestorePolicy::kFlush) next = scripts.functions;
  for (const std::string& code : codes) {
    std::string name;
    if (std::string error = parse_library_metadata(code, &name); !error.empty()) return error;
    if (policy == RestorePolicy::kAppend && next.libraries().contains(name)) {
      return "ERR Library " + name + " already exists";  // RESTORE's text: no quotes
    }
    if (policy == RestorePolicy::kReplace) next.remove(name);
    if (std::string error = next.load(code, false, scripts.limits, &name); !error.empty()) {
      return error;
    }
  }
  scripts.functions = std::move(next);
  return {};
}

// The subcommands that read: LIST and STATS; anything else answers `other`.
void function_read(const FunctionLibraries& functions, std::span<const std::string> argv,
                   RespWriter* out) {
  if (equals_ci(argv[1], "list")) return function_list(functions, argv, out);
  if (equals_ci(argv[1], "stats")) return function_stats(functions, out);
  if (equals_ci(argv[1], "dump")) return function_dump(functions, out);
  execute_function_local(argv, out);
}

void function_write(Scripts& scripts, std::span<const std::string> argv, RespWriter* out) {
  const std::string sub = ascii_lower(argv[1]);
  if (sub == "load") {
    bool replace = false;
    for (size_t i = 2; i + 1 < argv.size(); ++i) replace |= equals_ci(argv[i], "replace");
    std::string name;
    const std::string error = scripts.functions.load(argv.back(), replace, scripts.limits, &name);
    return error.empty() ? out->bulk(name) : out->error(error);
  }
  if (sub == "delete") {
    return scripts.functions.remove(argv[2]) ? out->simple("OK")
                                             : out->error("ERR Library not found");
  }
  if (sub == "flush") {
    scripts.functions.clear();
    return out->simple("OK");
  }
  if (sub == "restore") {
    const std::string error = function_restore(scripts, argv);
    return error.empty() ? out->simple("OK") : out->error(error);
  }
  function_read(scripts.functions, argv, out);
}

}  // namespace

std::string validate_function_arguments(const CommandSpec& spec,
                                        std::span<const std::string> argv) {
  return spec.id == kFunction ? validate_subcommand(argv) : std::string();
}

Route function_route(const CommandSpec& spec, std::span<const std::string> argv) {
  if (spec.id != kFunction) return spec.route;
  const std::string sub = ascii_lower(argv[1]);
  if (sub == "load" || sub == "delete" || sub == "flush" || sub == "restore") return Route::kWrite;
  if (sub == "list" || sub == "stats" || sub == "dump") return Route::kRead;
  return Route::kLocal;
}

void execute_function_write(KvStore& store, Scripts& scripts, const CommandSpec& spec,
                            std::span<const std::string> argv, const WriteContext& context,
                            RespWriter* out) {
  if (std::string error = validate_function_arguments(spec, argv); !error.empty()) {
    return out->error(error);
  }
  if (spec.id != kFunction) return fcall(&store, store, scripts, spec, argv, context, out);
  function_write(scripts, argv, out);
}

void execute_function_read(const KvStore& store, const Scripts& scripts, const CommandSpec& spec,
                           std::span<const std::string> argv, uint64_t now_ms, RespWriter* out,
                           const AclUser* user) {
  if (std::string error = validate_function_arguments(spec, argv); !error.empty()) {
    return out->error(error);
  }
  // A read has no log index: seed 0, Redis's generator as it starts.
  if (spec.id != kFunction) {
    return fcall(nullptr, store, scripts, spec, argv, WriteContext{now_ms, 0, user}, out);
  }
  if (function_route(spec, argv) != Route::kRead) return out->error("ERR not a read command");
  function_read(scripts.functions, argv, out);
}

void execute_function_local(std::span<const std::string> argv, RespWriter* out) {
  if (equals_ci(argv[1], "kill")) return out->error("NOTBUSY No scripts in execution right now.");
  static constexpr std::string_view kHelp[] = {
      "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
      "HELP",
      "    Prints this help.",
  };
  out->help_lines(kHelp);
}

}  // namespace raftkv::kv
