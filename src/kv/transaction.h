// MULTI/EXEC on the replicated state: what a transaction may queue, and running a
// transaction's entry at apply time.
//
// A connection queues its commands (the server keeps the queue); EXEC proposes them as
// one log entry (LogCommand::transaction), which every replica runs at once, in order,
// with nothing between them: that is the atomicity. The queued commands run at the
// entry's log time and index, so reads inside a transaction see its earlier writes and
// every replica computes the same replies.
//
// WATCH: the entry carries the watched keys and the log index they were watched from.
// If any of them may have changed after that index (watch_versions.h), including by
// expiry, a deletion or FLUSHALL, the transaction does nothing and EXEC answers a nil
// array, as in Redis. The decision depends only on the replicated state, so it is the same
// everywhere.
#pragma once

#include <span>
#include <string>

#include "kv/command_codec.h"
#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"
#include "kv/scripting.h"

namespace raftkv::kv {

// Redis's replies for the transaction commands.
inline constexpr std::string_view kExecAbortError =
    "EXECABORT Transaction discarded because of previous errors.";
inline constexpr std::string_view kNestedMultiError = "ERR MULTI calls can not be nested";
inline constexpr std::string_view kWatchInMultiError = "ERR WATCH inside MULTI is not allowed";
inline constexpr std::string_view kExecWithoutMultiError = "ERR EXEC without MULTI";
inline constexpr std::string_view kDiscardWithoutMultiError = "ERR DISCARD without MULTI";

// Empty when a command classified as `c` may be queued inside MULTI; otherwise the error
// its queueing answers (and the transaction is then discarded at EXEC with EXECABORT).
// Data commands, PING, ECHO, SELECT and UNWATCH may; session commands, DEBUG and ACL may
// not, nor may (by this function) the server's and the connection's own commands, of
// which the server queues some itself (INFO, CLIENT, CONFIG, ...: it runs them at EXEC).
std::string transaction_queue_error(const Classification& c);

// For a command that EXEC runs on the node (CLIENT, CONFIG, COMMAND, ...; classified, so
// its own arity is right): Redis's refusal of an unknown subcommand or a subcommand's wrong
// arity when it is queued, from Redis 7.0's table of subcommands; empty when it may be
// queued (also for a command without subcommands).
std::string queued_subcommand_error(const CommandSpec& spec, std::span<const std::string> argv);

// Whether a command that failed classification is refused inside MULTI at once (and the
// transaction then answers EXECABORT), as Redis refuses an unknown command or subcommand
// or a wrong arity before it queues. Any other error (a bad argument) is queued, as in
// Redis, and becomes that command's reply within EXEC's.
bool refused_when_queued(const Classification& c);

// Runs a transaction entry at log time `ctx.now_ms` and index `ctx.index`: the watched keys
// are checked first, then every queued command runs (scripts with `scripts`, as
// StateMachine runs them). Appends EXEC's reply.
void run_transaction(KvStore& store, Scripts& scripts, const LogCommand& transaction,
                     WriteContext ctx, RespWriter* out);

// Whether a watched key may have changed after `since`. A watched key that is due at
// `now_ms` (expired, not yet purged) is purged here first, which counts as a change: a key
// that expires between WATCH and EXEC aborts the transaction, as in Redis.
bool watched_key_changed(KvStore& store, const std::string& key, uint64_t since, uint64_t now_ms);

}  // namespace raftkv::kv
