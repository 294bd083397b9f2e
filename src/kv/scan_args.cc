#include "kv/scan_args.h"

#include <charconv>

#include "kv/command_support.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

std::optional<uint64_t> parse_scan_cursor(std::string_view cursor) {
  // As strtoul: an empty cursor is 0, a sign may lead, and "-n" wraps to 2^64 - n (Redis
  // only refuses a leading space, trailing characters and ERANGE).
  if (cursor.empty()) return 0;
  const bool negative = cursor.front() == '-';
  if (negative || cursor.front() == '+') cursor.remove_prefix(1);
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), value);
  if (cursor.empty() || ec != std::errc() || end != cursor.data() + cursor.size()) {
    return std::nullopt;
  }
  return negative ? uint64_t{0} - value : value;
}

std::string parse_scan_options(std::span<const std::string> argv, size_t first, bool allow_type,
                               ScanOptions* options) {
  for (size_t i = first; i < argv.size(); i += 2) {
    const bool has_value = i + 1 < argv.size();
    if (equals_ci(argv[i], "count") && has_value) {
      const auto count = parse_int64(argv[i + 1]);
      if (!count) return std::string(kNotInteger);
      if (*count < 1) return std::string(kSyntaxError);
      options->count = static_cast<size_t>(*count);
    } else if (equals_ci(argv[i], "match") && has_value) {
      options->pattern = argv[i + 1];
      if (options->pattern == "*") options->pattern = {};
    } else if (allow_type && equals_ci(argv[i], "type") && has_value) {
      options->type = argv[i + 1];
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

}  // namespace raftkv::kv
