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
  StringValue* current = found == nullptr ? nullptr : std::get_if<StringValue>(found);
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
  // A new string object from the printed number, never an int (Redis's
  // createStringObjectFromLongDouble).
  if (current != nullptr) {
    assign_string(current, printed);  // keeps the deadline, as in Redis
    current->encoding = StringEncoding::kNoInt;
  } else {
    store.set(argv[1], StringValue(std::move(printed), StringEncoding::kNoInt));
  }
}

// SETRANGE key offset value: overwrites from `offset`, padding with zero bytes.
void execute_setrange(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  const auto offset = static_cast<size_t>(*parse_int64(argv[2]));  // validated: >= 0
  const std::string& patch = argv[3];
  Value* found = store.find(argv[1]);
  StringValue* current = found == nullptr ? nullptr : std::get_if<StringValue>(found);
  if (found != nullptr && current == nullptr) return out->error(kWrongType);
  // Nothing to write: the length as it is (0 for a missing key, which is not created).
  if (patch.empty())
    return out->integer(current == nullptr ? 0 : static_cast<int64_t>(current->size()));
  if (offset > kMaxValueSize || patch.size() > kMaxValueSize - offset) return out->error(kTooLong);
  if (current == nullptr) current = std::get_if<StringValue>(store.put(argv[1], std::string()));
  current->encoding = StringEncoding::kRaw;  // new or unshared, as in Redis
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
  const auto* value = std::get_if<StringValue>(found);
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
  const auto* value = std::get_if<StringValue>(found);
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

void execute_lcs(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                 RespWriter* out) {
  const Value* found_a = store.find_live(argv[1], now);
  const Value* found_b = store.find_live(argv[2], now);
  const auto* str_a = found_a == nullptr ? nullptr : std::get_if<StringValue>(found_a);
  const auto* str_b = found_b == nullptr ? nullptr : std::get_if<StringValue>(found_b);
  if ((found_a != nullptr && str_a == nullptr) || (found_b != nullptr && str_b == nullptr)) {
    return out->error("ERR The specified keys must contain string values");
  }
  const std::string_view a = str_a == nullptr ? std::string_view() : *str_a;
  const std::string_view b = str_b == nullptr ? std::string_view() : *str_b;
  bool get_len = false, get_idx = false, with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (equals_ci(argv[j], "idx")) {
      get_idx = true;
    } else if (equals_ci(argv[j], "len")) {
      get_len = true;
    } else if (equals_ci(argv[j], "withmatchlen")) {
      with_match_len = true;
    } else if (equals_ci(argv[j], "minmatchlen") && j + 1 < argv.size()) {
      const auto parsed = parse_int64(argv[++j]);
      if (!parsed) return out->error(kNotInteger);
      min_match_len = std::max<int64_t>(*parsed, 0);
    } else {
      return out->error(kSyntaxError);
    }
  }
  if (get_idx && get_len) {
    return out->error("ERR If you want both the length and indexes, please just use IDX.");
  }
  const size_t alen = a.size(), blen = b.size();
  const uint64_t cells = static_cast<uint64_t>(alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > kMaxValueSize) {
    return out->error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  std::vector<uint32_t> table(cells, 0);
  const auto at = [&](size_t i, size_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (size_t i = 1; i <= alen; ++i) {
    for (size_t j = 1; j <= blen; ++j) {
      at(i, j) = a[i - 1] == b[j - 1] ? at(i - 1, j - 1) + 1 : std::max(at(i - 1, j), at(i, j - 1));
    }
  }
  const uint32_t length = at(alen, blen);
  if (get_len) return out->integer(length);
  // Walk back from the end, collecting the subsequence and (IDX) the matching ranges, as
  // Redis does (ranges come last to first).
  std::string result(length, '\0');
  struct Match {
    size_t a_start, a_end, b_start, b_end;
  };
  std::vector<Match> matches;
  size_t idx = length;
  size_t a_start = alen, a_end = 0, b_start = 0, b_end = 0;  // a_start == alen: none
  size_t i = alen, j = blen;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (a_start == alen) {
        a_start = a_end = i - 1;
        b_start = b_end = j - 1;
      } else if (a_start == i && b_start == j) {
        --a_start;
        --b_start;
      } else {
        emit = true;
      }
      if (a_start == 0 || b_start == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (a_start != alen) emit = true;
    }
    if (emit) {
      const size_t match_len = a_end - a_start + 1;
      if (min_match_len == 0 || match_len >= static_cast<uint64_t>(min_match_len)) {
        matches.push_back({a_start, a_end, b_start, b_end});
      }
      a_start = alen;
    }
  }
  if (!get_idx) return out->bulk(result);
  out->array_header(4);
  out->bulk("matches");
  out->array_header(matches.size());
  for (const Match& m : matches) {
    out->array_header(with_match_len ? 3 : 2);
    out->array_header(2);
    out->integer(static_cast<int64_t>(m.a_start));
    out->integer(static_cast<int64_t>(m.a_end));
    out->array_header(2);
    out->integer(static_cast<int64_t>(m.b_start));
    out->integer(static_cast<int64_t>(m.b_end));
    if (with_match_len) out->integer(static_cast<int64_t>(m.a_end - m.a_start + 1));
  }
  out->bulk("len");
  out->integer(length);
}

}  // namespace raftkv::kv
