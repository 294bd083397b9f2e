// The bytes a write command occupies in the Raft log.
//
// Format, version 1 (all integers LEB128 varints):
//   u8 version (= 1)
//   session_id   0 when the write is not part of an exactly-once session
//   seq          the client's sequence number within the session (0 without a session)
//   time_ms      the proposing leader's wall clock in Unix milliseconds: the "log time"
//                that drives session expiry identically on every replica
//   argc, then argc x (length, bytes)   the command with its arguments
// The decoder accepts exactly this and nothing else (unknown version, truncation,
// trailing bytes, empty argv are all rejected), so garbage can never be applied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kv/argv.h"

namespace raftkv::kv {

struct LogCommand {
  uint64_t session_id = 0;
  uint64_t seq = 0;
  uint64_t time_ms = 0;
  Argv argv;

  bool operator==(const LogCommand&) const = default;
};

inline constexpr uint8_t kLogCommandVersion = 1;

std::string encode_log_command(const LogCommand& command);
std::optional<LogCommand> decode_log_command(std::string_view bytes);

// argv[1] of an encoded command (the key, for most commands) without decoding the rest, or
// nullopt when it has none or the bytes do not parse that far. For hints (prefetching)
// only: it does not validate the whole entry.
std::optional<std::string_view> peek_log_command_key(std::string_view bytes);

}  // namespace raftkv::kv
