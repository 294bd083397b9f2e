// The data commands — the reads and writes that the state machine executes against the
// key space — with Redis's semantics and reply formats.
//
// validate_arguments() performs every check that does not depend on the data (syntax,
// integer arguments); classify() calls it before proposing and execution calls it again,
// so a log entry that somehow carries a malformed command still gets the same error on
// every replica instead of undefined behaviour.
#pragma once

#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// Largest string a value may grow to (Redis: proto-max-bulk-len); fixed, not configurable,
// because it must be the same on every replica.
inline constexpr size_t kMaxValueSize = size_t{512} << 20;

// `argv` starts with the command name and has passed the arity check. Returns the error
// message, or an empty string when the arguments are acceptable.
std::string validate_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// Executes a Route::kRead command and appends its reply. `now` (Unix ms) decides which
// keys have expired: keys whose deadline is <= now read as absent. `in_script`: run by a
// script or function (WriteContext::in_script).
void execute_read(const KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                  uint64_t now, RespWriter* out, bool in_script = false);

// Executes a data-changing Route::kWrite command (not SESSION or SEQ, which the state
// machine handles) and appends its reply. Deterministic: the reply and the new state
// depend only on the store, argv and the entry's log time and index (`context`); log
// time also turns relative expiry times (EX, EXPIRE, ...) into deadlines.
void execute_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                   const WriteContext& context, RespWriter* out);

}  // namespace raftkv::kv
