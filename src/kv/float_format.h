// Floating-point arguments and replies with Redis 7.0's exact rules, so that scores and
// HINCRBYFLOAT results read and print byte for byte as redis-server's do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace raftkv::kv {

// A score or increment (Redis's string2d): strtod syntax ("1.5", "-inf", "1e3", ...) with
// nothing around it; no NaN, no leading space, no overflow or underflow to zero.
std::optional<double> parse_double(std::string_view s);

// A range bound's number (Redis's zslParseRange after any '('): strtod syntax, the whole
// argument consumed, not NaN.
std::optional<double> parse_range_double(std::string_view s);

// HINCRBYFLOAT's operands (Redis's string2ld): parse_double's rules in long double, at
// most 5 KiB.
std::optional<long double> parse_long_double(std::string_view s);

// A score as Redis 7.0 replies it: "%.17g", and "inf" / "-inf".
std::string format_double(double value);

// HINCRBYFLOAT's result as Redis prints it (ld2string "human" mode): "%.17Lf" with
// trailing zeros and a trailing point removed, "-0" printed as "0".
std::string format_long_double(long double value);

}  // namespace raftkv::kv
