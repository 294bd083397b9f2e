// raftkv::kv::StateMachine — the replicated key-value state: the key space, the
// exactly-once sessions, the applied index and the log clock.
//
// The server applies every committed log entry, in log order, with apply(), and answers a
// proposal's client with the reply apply() returns for that entry. Given the same entries
// every replica computes the same state and the same replies: nothing here reads a clock,
// a random source or an environment (log time comes inside the entries).
//
// Not thread-safe: the server calls it from the thread that applies the log.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/acl.h"
#include "kv/argv.h"
#include "kv/command_codec.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"
#include "kv/scripting.h"
#include "kv/session_table.h"
#include "kv/status.h"

namespace raftkv::kv {

struct CommandSpec;
class PublishSink;

struct StateMachineOptions {
  SessionPolicy sessions;  // must be equal on every replica
  ScriptLimits scripts;    // must be equal on every replica
};

class StateMachine {
 public:
  explicit StateMachine(StateMachineOptions options = {});

  // Applies the log entry at `index` (the bytes of encode_log_command, or empty for a
  // leader's no-op) and returns the RESP-encoded reply for the client that proposed it
  // (empty for a no-op). An entry that does not decode gets "-ERR corrupt log entry" and
  // changes nothing but the applied index. Entries at or below applied_index() were
  // already applied (for example, replayed after a snapshot restore) and are ignored.
  std::string apply(uint64_t index, std::string_view entry);

  // A hint before applying these entries (the bytes apply() would get, in order): starts
  // loading the parts of the store their keys will touch, so that their cache misses
  // overlap (KvStore::prefetch). At most 64 are looked at. Changes nothing.
  void prefetch(std::span<const std::string_view> entries) const;

  // Executes a read command (Route::kRead) against the current state and appends its
  // reply. The server calls it once applied_index() has reached the read's read index.
  // Any argv is safe; non-reads get an error reply. Keys whose deadline is at or before
  // max(now_ms, log_time_ms()) read as absent: `now_ms` is the serving node's wall clock,
  // so a key disappears for readers on time even when no write has advanced log time.
  // `user`: the ACL user a read-only script's commands are checked against (null: none).
  void read(const Argv& argv, uint64_t now_ms, RespWriter* out,
            const AclUser* user = nullptr) const;
  std::string read(const Argv& argv, uint64_t now_ms, const AclUser* user = nullptr) const;
  // The same for a command that classify(argv) routed as a read (Route::kRead; `spec` is
  // its spec, and argv has any SEQ prefix stripped): the request path classifies once, not
  // twice. (A script's route depends on its flags, so spec.route may say otherwise.)
  std::string read(const CommandSpec& spec, const Argv& argv, uint64_t now_ms,
                   const AclUser* user = nullptr) const;
  // The same at log time (no clock): what every replica agrees on.
  std::string read(const Argv& argv) const { return read(argv, 0); }

  // Whether a key the read command names (every key, for keyless reads such as DBSIZE or
  // SCAN) has a deadline in (log_time_ms(), now_ms]: expired by the serving node's clock
  // but not yet in log time. Such a read must not be served at now_ms: whether a key
  // exists would then depend on the serving node's clock, and a key read as gone could
  // come back after a leadership change to a node whose clock is behind, or after a clock
  // step backwards. The server first moves log time forward through the log (an expiry
  // tick) and then reads at log time. When this is false, reading at now_ms decides
  // existence exactly as log time does (only TTLs count down on the local clock).
  bool read_needs_log_time(const CommandSpec& spec, const Argv& argv, uint64_t now_ms) const;

  // WATCH's question: whether `key` may have changed after log index `since` (never a
  // false "no"; see watch_versions.h).
  bool changed_after(std::string_view key, uint64_t since) const {
    return store_.changed_after(key, since);
  }

  // Where an applied PUBLISH delivers its message: the node's own subscribers (pubsub.h).
  // Not replicated state: PUBLISH changes nothing here, and its reply (the receivers on
  // this node) goes only to the client that proposed it. Null: nobody receives it.
  void set_publish_sink(PublishSink* sink) { publish_sink_ = sink; }

  uint64_t applied_index() const { return applied_index_; }
  uint64_t log_time_ms() const { return log_time_ms_; }
  size_t key_count() const { return store_.size(); }
  size_t expiring_key_count() const { return store_.expires(); }
  // Some key's deadline is at or before `now_ms`: the leader then proposes an expiry tick
  // (expiry_tick_command) so that idle clusters reclaim expired keys too.
  bool has_expired_keys(uint64_t now_ms) const { return store_.has_due(now_ms); }
  size_t session_count() const { return sessions_.size(); }
  // The replicated script cache (SCRIPT LOAD, EVAL; scripting.h).
  const ScriptCache& scripts() const { return scripts_.cache; }
  const FunctionLibraries& functions() const { return scripts_.functions; }
  // The replicated ACL users (ACL SETUSER, DELUSER; acl.h).
  const AclTable& acl() const { return acl_; }
  // DEBUG DIGEST's value: 32 hex digits over keys and values (not sessions).
  std::string digest() const { return store_.digest_hex(); }

  // A deterministic image of the whole state (keys, sessions, scripts, applied index, log clock)
  // with a trailing checksum: equal states give equal bytes (format: state_machine_snapshot.cc).
  std::string serialize() const;
  // Replaces the state with a serialized image. On any error (bad magic or version,
  // checksum mismatch, truncation, unordered keys) the state is left unchanged.
  Status restore(std::string_view image);

 private:
  void read_classified(const CommandSpec& spec, const Argv& argv, uint64_t now_ms, RespWriter* out,
                       const AclUser* user) const;
  std::string apply_command(uint64_t index, const LogCommand& command);
  // Runs a validated write (or a transaction) and returns its reply.
  std::string execute(uint64_t index, const LogCommand& command, const CommandSpec& spec);

  StateMachineOptions options_;
  KvStore store_;
  SessionTable sessions_;
  Scripts scripts_;
  AclTable acl_;
  uint64_t applied_index_ = 0;
  uint64_t log_time_ms_ = 0;  // the largest time_ms among applied entries
  PublishSink* publish_sink_ = nullptr;
};

// Expired keys each applied entry removes at most, earliest deadline first: bounded work
// per entry, the same on every replica. (Commands also drop the expired keys they name.)
inline constexpr size_t kExpiredKeysPurgedPerEntry = 64;
// An expiry tick (a PING entry, which changes nothing else) purges up to this many.
inline constexpr size_t kExpiredKeysPurgedPerTick = 4096;

// The log command of an expiry tick at leader time `now_ms`.
LogCommand expiry_tick_command(uint64_t now_ms);

}  // namespace raftkv::kv
