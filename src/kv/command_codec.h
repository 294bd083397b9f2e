// The bytes a write command occupies in the Raft log.
//
// Format, version 1 (all integers LEB128 varints):
//   u8 version (= 1)
//   session_id   0 when the write is not part of an exactly-once session
//   seq          the client's sequence number within the session (0 without a session)
//   time_ms      the proposing leader's wall clock in Unix milliseconds: the "log time"
//                that drives session expiry identically on every replica
//   argc, then argc x (length, bytes)   the command with its arguments
//
// Version 2, a transaction (EXEC):
//   u8 version (= 2), session_id, seq, time_ms   as in version 1
//   watch_index                 the log index its WATCHed keys were read at
//   watched count, then count x (length, bytes)  the WATCHed keys
//   command count, then count x (argc, argc x (length, bytes))   the queued commands
// Its argv is implicitly {"EXEC"}.
//
// Version 3, a command run as an ACL user (scripts and transactions of a restricted user,
// whose redis.call commands are checked against that user's rules at apply time):
//   u8 version (= 3), user (length, bytes), then a whole version 1 or 2 encoding.
// Commands without a user (the default) are encoded as before.
// The decoder accepts exactly these and nothing else (unknown version, truncation,
// trailing bytes, empty argv are all rejected), so garbage can never be applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kv/argv.h"

namespace raftkv::kv {

struct LogCommand {
  uint64_t session_id = 0;
  uint64_t seq = 0;
  uint64_t time_ms = 0;
  Argv argv;
  // A transaction: argv is {"EXEC"}, and these are its queued commands, run in order as
  // one entry. It runs only if no key in `watched` changed after log index `watch_index`
  // (see watch_versions.h); otherwise EXEC's reply is a nil array.
  bool transaction = false;
  std::vector<Argv> queued{};
  uint64_t watch_index = 0;
  std::vector<std::string> watched{};
  // Non-empty: the ACL user whose rules the commands a script runs are checked against.
  std::string user{};

  bool operator==(const LogCommand&) const = default;
};

inline constexpr uint8_t kLogCommandVersion = 1;
inline constexpr uint8_t kLogTransactionVersion = 2;
inline constexpr uint8_t kLogUserVersion = 3;

std::string encode_log_command(const LogCommand& command);
std::optional<LogCommand> decode_log_command(std::string_view bytes);

// argv[1] of an encoded command (the key, for most commands) without decoding the rest, or
// nullopt when it has none or the bytes do not parse that far. For hints (prefetching)
// only: it does not validate the whole entry.
std::optional<std::string_view> peek_log_command_key(std::string_view bytes);

}  // namespace raftkv::kv
