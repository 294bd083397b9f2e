// The arguments of SCAN, HSCAN, SSCAN and ZSCAN, parsed with Redis 7.0's rules: the cursor
// (parseScanCursorOrReply) and the MATCH / COUNT / TYPE options (scanGenericCommand).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace raftkv::kv {

struct ScanOptions {
  size_t count = 10;
  std::string_view pattern;  // empty: everything ("*" is stored as empty too)
  std::string_view type;     // SCAN only; empty: every type
};

// Redis reads the cursor with strtoul: digits after an optional sign (leading zeros
// allowed), at most 2^64 - 1, a minus wrapping around; "" is 0; nothing otherwise
// ("ERR invalid cursor").
std::optional<uint64_t> parse_scan_cursor(std::string_view cursor);
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";

// The options from argv[first] on, in pairs. `allow_type`: SCAN's TYPE option (the
// collection scans refuse it with a syntax error, as Redis does). Returns the error text,
// or an empty string.
std::string parse_scan_options(std::span<const std::string> argv, size_t first, bool allow_type,
                               ScanOptions* options);

}  // namespace raftkv::kv
