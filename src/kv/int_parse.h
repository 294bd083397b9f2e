// Integer parsing with Redis's exact acceptance rules (string2ll): optional '-', no '+', no
// spaces, no leading zeros, no "-0", and no overflow. Both the RESP length fields and the
// INCR family use it, so "a number" means the same thing everywhere, as in Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace raftkv::kv {

std::optional<int64_t> parse_int64(std::string_view s);

// Same rules, for cursors and other non-negative quantities that may use the full
// unsigned 64-bit range (Redis's string2ull: plain decimal digits only).
std::optional<uint64_t> parse_uint64(std::string_view s);

}  // namespace raftkv::kv
