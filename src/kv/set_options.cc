#include "kv/set_options.h"

#include <algorithm>
#include <limits>

#include "kv/command_support.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

std::optional<int64_t> deadline_of(ExpiryUnit unit, int64_t amount, uint64_t now) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const bool seconds = unit == ExpiryUnit::kSeconds || unit == ExpiryUnit::kUnixSeconds;
  if (seconds && (amount > kMax / 1000 || amount < -kMax / 1000)) return std::nullopt;
  int64_t ms = seconds ? amount * 1000 : amount;
  if (unit == ExpiryUnit::kSeconds || unit == ExpiryUnit::kMilliseconds) {
    const auto base = static_cast<int64_t>(std::min<uint64_t>(now, kMax / 2));
    if (ms > kMax - base) return std::nullopt;
    ms += base;
  }
  return ms;
}

std::string invalid_expire_time(std::string_view command_name) {
  return "ERR invalid expire time in '" + std::string(command_name) + "' command";
}

namespace {

std::optional<ExpiryUnit> expiry_unit_named(std::string_view option) {
  if (equals_ci(option, "ex")) return ExpiryUnit::kSeconds;
  if (equals_ci(option, "px")) return ExpiryUnit::kMilliseconds;
  if (equals_ci(option, "exat")) return ExpiryUnit::kUnixSeconds;
  if (equals_ci(option, "pxat")) return ExpiryUnit::kUnixMilliseconds;
  return std::nullopt;
}

}  // namespace

std::string parse_string_options(std::span<const std::string> argv, size_t first,
                                 StringCommand command, StringOptions* options) {
  const bool set = command == StringCommand::kSet;
  for (size_t j = first; j < argv.size(); ++j) {
    const std::string_view opt = argv[j];
    const bool has_next = j + 1 < argv.size();
    const bool has_expiry = options->unit != ExpiryUnit::kNone;
    const auto unit = expiry_unit_named(opt);
    if (set && equals_ci(opt, "nx") && !options->xx) {
      options->nx = true;
    } else if (set && equals_ci(opt, "xx") && !options->nx) {
      options->xx = true;
    } else if (set && equals_ci(opt, "get")) {
      options->get = true;
    } else if (set && equals_ci(opt, "keepttl") && !has_expiry) {
      options->keep_ttl = true;
    } else if (!set && equals_ci(opt, "persist") && !has_expiry) {
      options->persist = true;
    } else if (unit && !options->keep_ttl && !options->persist &&
               (!has_expiry || options->unit == *unit) && has_next) {
      options->unit = *unit;
      options->amount = argv[++j];
    } else {
      return std::string(kSyntaxError);
    }
  }
  return {};
}

std::string expiry_deadline(const StringOptions& options, std::string_view command_name,
                            uint64_t now, int64_t* at) {
  const auto amount = parse_int64(options.amount);
  if (!amount) return std::string(kNotInteger);
  const auto deadline = *amount > 0 ? deadline_of(options.unit, *amount, now) : std::nullopt;
  if (!deadline) return invalid_expire_time(command_name);
  *at = *deadline;
  return {};
}

}  // namespace raftkv::kv
