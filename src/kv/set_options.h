// SET's and GETEX's options, parsed as Redis 7.0 does (parseExtendedStringArgumentsOrReply,
// one parser for both commands), and the deadlines that expiry arguments stand for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace raftkv::kv {

// How an expiry argument counts: relative seconds/milliseconds (EX, PX, EXPIRE, PEXPIRE,
// SETEX, PSETEX) or absolute Unix seconds/milliseconds (EXAT, PXAT, EXPIREAT, PEXPIREAT).
enum class ExpiryUnit { kNone, kSeconds, kMilliseconds, kUnixSeconds, kUnixMilliseconds };

// The deadline in Unix milliseconds for `amount` in `unit` at log time `now`; nothing if
// it does not fit (Redis: "invalid expire time"). May be <= now (already expired).
std::optional<int64_t> deadline_of(ExpiryUnit unit, int64_t amount, uint64_t now);

// Redis's error for an expiry argument out of range.
std::string invalid_expire_time(std::string_view command_name);

enum class StringCommand { kSet, kGetex };

struct StringOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  bool persist = false;  // GETEX only
  ExpiryUnit unit = ExpiryUnit::kNone;
  std::string_view amount;  // the EX/PX/EXAT/PXAT argument, unparsed
};

// Parses argv[first...] for `command`: which options are present and compatible (later
// options may not contradict earlier ones; repeating one is allowed, the last amount
// wins). Syntax only: the amount is checked by expiry_deadline(). Returns the error text.
std::string parse_string_options(std::span<const std::string> argv, size_t first,
                                 StringCommand command, StringOptions* options);

// The deadline `options` ask for at log time `now` (options.unit is not kNone), or
// Redis's error (naming `command_name`) for an amount that is not an integer, not
// positive, or out of range.
std::string expiry_deadline(const StringOptions& options, std::string_view command_name,
                            uint64_t now, int64_t* at);

}  // namespace raftkv::kv
