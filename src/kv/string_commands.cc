#include "kv/string_commands.h"

#include <algorithm>
#include <cmath>
#include <variant>

#include "kv/data_commands.h"
#include "kv/float_format.h"
#include "kv/int_parse.h"
#include "kv/set_options.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kTooLong =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";

// INCRBYFLOAT key increment. Redis checks the type, then the stored value, then the
// increment (all at execution), so a bad increment is only reported here, in that order.
// Computed in long double like HINCRBYFLOAT: the same on every replica of the same
// architecture, and stored as the printed result, which is what every replica keeps.
void execute_incrbyfloat(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  Value* found = store.find(argv[1]);
  std::string* current = found == nullptr ? nullptr : std::get_if<std::string>(found);
  if (found != nullptr && current == nullptr) return out->error(kWrongType);
  long double value = 0;
  if (current != nullptr) {
    const auto parsed = parse_long_double(*current);
    if (!parsed) return out->error(kNotFloat);
    value = *parsed;
  }
  const auto increment = parse_long_double(argv[2]);
  if (!increment) return out->error(kNotFloat);
  value += *increment;
  if (std::isnan(value) || std::isinf(value)) {
    return out->error("ERR increment would produce NaN or Infinity");
  }
  std::string printed = format_long_double(value);
  out->bulk(printed);
  if (current != nullptr) {
    assign_string(current, printed);  // keeps the deadline, as in Redis
  } else {
    store.set(argv[1], std::move(printed));
  }
}

// SETRANGE key offset value: overwrites from `offset`, padding with zero bytes.
void execute_setrange(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  const auto offset = static_cast<size_t>(*parse_int64(argv[2]));  // validated: >= 0
  const std::string& patch = argv[3];
  Value* found = store.find(argv[1]);
  std::string* current = found == nullptr ? nullptr : std::get_if<std::string>(found);
  if (found != nullptr && current == nullptr) return out->error(kWrongType);
  // Nothing to write: the length as it is (0 for a missing key, which is not created).
  if (patch.empty())
    return out->integer(current == nullptr ? 0 : static_cast<int64_t>(current->size()));
  if (offset > kMaxValueSize || patch.size() > kMaxValueSize - offset) return out->error(kTooLong);
  if (current == nullptr) current = std::get_if<std::string>(store.put(argv[1], std::string()));
  if (current->size() < offset + patch.size()) current->resize(offset + patch.size(), '\0');
  current->replace(offset, patch.size(), patch);
  out->integer(static_cast<int64_t>(current->size()));
}

// GETEX key [EX|PX|EXAT|PXAT amount | PERSIST]: the value, then the deadline changes.
void execute_getex(KvStore& store, std::span<const std::string> argv, uint64_t now,
                   RespWriter* out) {
  StringOptions opts;
  (void)parse_string_options(argv, 2, StringCommand::kGetex, &opts);  // validated already
  const Value* found = store.find(argv[1]);
  if (found == nullptr) return out->null_bulk();
  const auto* value = std::get_if<std::string>(found);
  if (value == nullptr) return out->error(kWrongType);
  // Redis checks the amount only once it has the key.
  int64_t at = 0;
  if (opts.unit != ExpiryUnit::kNone) {
    if (const auto error = expiry_deadline(opts, "getex", now, &at); !error.empty()) {
      return out->error(error);
    }
  }
  out->bulk(*value);
  if (opts.unit != ExpiryUnit::kNone) {
    if (at <= static_cast<int64_t>(now)) {
      store.erase(argv[1]);  // EXAT/PXAT in the past: gone at once, as in Redis
    } else {
      store.set_expire(argv[1], static_cast<uint64_t>(at));
    }
  } else if (opts.persist) {
    store.persist(argv[1]);
  }
}

}  // namespace

std::string validate_string_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kGetrange:
    case CommandId::kSubstr:
      if (!parse_int64(argv[2]) || !parse_int64(argv[3])) return std::string(kNotInteger);
      return {};
    case CommandId::kSetrange: {
      const auto offset = parse_int64(argv[2]);
      if (!offset) return std::string(kNotInteger);
      if (*offset < 0) return "ERR offset is out of range";
      return {};
    }
    case CommandId::kGetex: {
      StringOptions opts;
      return parse_string_options(argv, 2, StringCommand::kGetex, &opts);
    }
    default:
      return {};
  }
}

void execute_getrange(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                      RespWriter* out) {
  int64_t start = *parse_int64(argv[2]);
  int64_t end = *parse_int64(argv[3]);
  const Value* found = store.find_live(argv[1], now);
  if (found == nullptr) return out->bulk("");
  const auto* value = std::get_if<std::string>(found);
  if (value == nullptr) return out->error(kWrongType);
  // Redis's rules: negative indexes count from the end and are clamped to the string.
  const auto length = static_cast<int64_t>(value->size());
  if (start < 0 && end < 0 && start > end) return out->bulk("");
  if (start < 0) start = std::max<int64_t>(start + length, 0);
  if (end < 0) end = std::max<int64_t>(end + length, 0);
  end = std::min(end, length - 1);
  if (start > end || length == 0) return out->bulk("");
  out->bulk(std::string_view(*value).substr(static_cast<size_t>(start),
                                            static_cast<size_t>(end - start + 1)));
}

void execute_string_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out) {
  switch (spec.id) {
    case CommandId::kIncrbyfloat:
      return execute_incrbyfloat(store, argv, out);
    case CommandId::kSetrange:
      return execute_setrange(store, argv, out);
    case CommandId::kGetex:
      return execute_getex(store, argv, context.now_ms, out);
    default:
      return out->error("ERR internal error: not a string write");
  }
}

}  // namespace raftkv::kv
