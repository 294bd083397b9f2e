#include "kv/int_parse.h"

#include <limits>

namespace raftkv::kv {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Parses the digits of a magnitude with no sign. Rejects empty input, leading zeros (but
// accepts "0") and values above `max`.
std::optional<uint64_t> parse_magnitude(std::string_view s, uint64_t max) {
  if (s.empty()) return std::nullopt;
  if (s.size() > 1 && s[0] == '0') return std::nullopt;
  uint64_t value = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

std::optional<int64_t> parse_int64(std::string_view s) {
  const bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const auto magnitude = parse_magnitude(s, negative ? kMaxPositive + 1 : kMaxPositive);
  if (!magnitude) return std::nullopt;
  if (!negative) return static_cast<int64_t>(*magnitude);
  if (*magnitude == 0) return std::nullopt;  // "-0" is not a Redis integer
  if (*magnitude == kMaxPositive + 1) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(*magnitude);
}

std::optional<uint64_t> parse_uint64(std::string_view s) {
  return parse_magnitude(s, std::numeric_limits<uint64_t>::max());
}

}  // namespace raftkv::kv
