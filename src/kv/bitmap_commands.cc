#include "kv/bitmap_commands.h"

#include <algorithm>
#include <bit>
#include <optional>
#include <string_view>
#include <vector>

#include "kv/data_commands.h"
#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kBadOffset = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBadBit = "ERR bit is not an integer or out of range";

// SETBIT's and GETBIT's offset: at most 2^32 - 1 (a 512 MB string), as Redis.
std::optional<uint64_t> parse_offset(const std::string& text) {
  const auto offset = parse_int64(text);
  if (!offset || *offset < 0 || static_cast<uint64_t>(*offset >> 3) >= kMaxValueSize) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(*offset);
}

bool bit_at(std::string_view s, uint64_t bit) {
  return (static_cast<uint8_t>(s[bit >> 3]) >> (7 - (bit & 7))) & 1;
}

// The inclusive bit interval a BITCOUNT/BITPOS range selects of `size` bytes, by Redis's
// rules (negative indexes count from the end, then clamp); nothing when it is empty.
struct BitSpan {
  uint64_t first = 0, last = 0;
};
std::optional<BitSpan> clamp_span(int64_t start, int64_t end, bool in_bits, uint64_t size) {
  const auto total = static_cast<int64_t>(in_bits ? size * 8 : size);
  if (start < 0) start += total;
  if (end < 0) end += total;
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  if (end >= total) end = total - 1;
  if (start > end) return std::nullopt;
  if (in_bits) return BitSpan{static_cast<uint64_t>(start), static_cast<uint64_t>(end)};
  return BitSpan{static_cast<uint64_t>(start) * 8, static_cast<uint64_t>(end) * 8 + 7};
}

// BYTE or BIT (argv[at], if present); nullopt: neither.
std::optional<bool> parse_unit(std::span<const std::string> argv, size_t at) {
  if (argv.size() <= at || equals_ci(argv[at], "byte")) return false;
  if (equals_ci(argv[at], "bit")) return true;
  return std::nullopt;
}

uint64_t count_ones(std::string_view s, BitSpan span) {
  uint64_t count = 0;
  uint64_t bit = span.first;
  for (; bit <= span.last && (bit & 7) != 0; ++bit) count += bit_at(s, bit);
  for (; bit + 7 <= span.last; bit += 8) {
    count += static_cast<uint64_t>(std::popcount(static_cast<uint8_t>(s[bit >> 3])));
  }
  for (; bit <= span.last; ++bit) count += bit_at(s, bit);
  return count;
}

void execute_bitcount(std::string_view s, std::span<const std::string> argv, RespWriter* out) {
  if (argv.size() == 2) {
    return out->integer(s.empty() ? 0 : static_cast<int64_t>(count_ones(s, {0, s.size() * 8 - 1})));
  }
  if (argv.size() != 4 && argv.size() != 5) return out->error(kSyntaxError);
  const auto start = parse_int64(argv[2]);
  const auto end = parse_int64(argv[3]);
  if (!start || !end) return out->error(kNotInteger);
  if (*start < 0 && *end < 0 && *start > *end) return out->integer(0);
  const auto in_bits = parse_unit(argv, 4);
  if (!in_bits) return out->error(kSyntaxError);
  const auto span = clamp_span(*start, *end, *in_bits, s.size());
  out->integer(span ? static_cast<int64_t>(count_ones(s, *span)) : 0);
}

void execute_bitpos(std::string_view s, bool bit, std::span<const std::string> argv,
                    RespWriter* out) {
  if (argv.size() > 6) return out->error(kSyntaxError);
  int64_t start = 0;
  int64_t end = -1;
  bool in_bits = false;
  if (argv.size() >= 4) {
    const auto parsed = parse_int64(argv[3]);
    if (!parsed) return out->error(kNotInteger);
    start = *parsed;
    const auto unit = parse_unit(argv, 5);
    if (!unit) return out->error(kSyntaxError);
    in_bits = *unit;
    if (argv.size() >= 5) {
      const auto parsed_end = parse_int64(argv[4]);
      if (!parsed_end) return out->error(kNotInteger);
      end = *parsed_end;
    }
  }
  const bool end_given = argv.size() >= 5;
  const auto span = clamp_span(start, end, in_bits, s.size());
  if (!span) return out->integer(-1);  // an empty range holds neither a 0 nor a 1
  for (uint64_t i = span->first; i <= span->last; ++i) {
    if (bit_at(s, i) == bit) return out->integer(static_cast<int64_t>(i));
  }
  // No clear bit in the string: the padding after it is zeros, unless an end was given.
  if (bit || end_given) return out->integer(-1);
  out->integer(static_cast<int64_t>(span->last + 1));
}

// The string value at `key` for a read: false (reply sent) when it holds another type.
bool string_at(const Value* value, std::string_view* s, RespWriter* out) {
  if (value == nullptr) return true;
  const auto* str = std::get_if<std::string>(value);
  if (str == nullptr) {
    out->error(kWrongType);
    return false;
  }
  *s = *str;
  return true;
}

void execute_bitop(KvStore& store, std::span<const std::string> argv, RespWriter* out) {
  const std::string& op = argv[1];
  std::vector<std::string_view> sources;
  size_t longest = 0;
  for (size_t i = 3; i < argv.size(); ++i) {
    std::string_view s;
    if (!string_at(store.find(argv[i]), &s, out)) return;
    sources.push_back(s);
    longest = std::max(longest, s.size());
  }
  if (longest == 0) {
    store.erase(argv[2]);
    return out->integer(0);
  }
  std::string result(longest, '\0');
  const auto byte_of = [](std::string_view s, size_t j) {
    return j < s.size() ? static_cast<uint8_t>(s[j]) : uint8_t{0};
  };
  for (size_t j = 0; j < longest; ++j) {
    uint8_t byte = byte_of(sources[0], j);
    if (equals_ci(op, "not")) byte = static_cast<uint8_t>(~byte);
    for (size_t i = 1; i < sources.size(); ++i) {
      const uint8_t next = byte_of(sources[i], j);
      if (equals_ci(op, "and")) {
        byte &= next;
      } else if (equals_ci(op, "or")) {
        byte |= next;
      } else {
        byte ^= next;
      }
    }
    result[j] = static_cast<char>(byte);
  }
  store.set(argv[2], std::move(result));
  store.persist(argv[2]);  // a new value: the old deadline goes
  out->integer(static_cast<int64_t>(longest));
}

}  // namespace

bool is_bitmap_command(CommandId id) {
  switch (id) {
    case CommandId::kSetbit:
    case CommandId::kGetbit:
    case CommandId::kBitcount:
    case CommandId::kBitpos:
    case CommandId::kBitop:
      return true;
    default:
      return false;
  }
}

std::string validate_bitmap_arguments(const CommandSpec& spec, std::span<const std::string> argv) {
  switch (spec.id) {
    case CommandId::kSetbit: {
      if (!parse_offset(argv[2])) return std::string(kBadOffset);
      const auto bit = parse_int64(argv[3]);
      if (!bit || (*bit != 0 && *bit != 1)) return std::string(kBadBit);
      return {};
    }
    case CommandId::kGetbit:
      if (!parse_offset(argv[2])) return std::string(kBadOffset);
      return {};
    case CommandId::kBitpos: {
      const auto bit = parse_int64(argv[2]);
      if (!bit) return std::string(kNotInteger);
      if (*bit != 0 && *bit != 1) return "ERR The bit argument must be 1 or 0.";
      return {};
    }
    case CommandId::kBitop: {
      const std::string& op = argv[1];
      if (!equals_ci(op, "and") && !equals_ci(op, "or") && !equals_ci(op, "xor") &&
          !equals_ci(op, "not")) {
        return std::string(kSyntaxError);
      }
      if (equals_ci(op, "not") && argv.size() != 4) {
        return "ERR BITOP NOT must be called with a single source key.";
      }
      return {};
    }
    default:
      return {};
  }
}

void execute_bitmap_read(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out) {
  const Value* value = store.find_live(argv[1], now);
  std::string_view s;
  if (!string_at(value, &s, out)) return;
  switch (spec.id) {
    case CommandId::kGetbit: {
      const uint64_t offset = *parse_offset(argv[2]);
      return out->integer(offset < s.size() * 8 && bit_at(s, offset) ? 1 : 0);
    }
    case CommandId::kBitcount:
      if (value == nullptr) return out->integer(0);  // before the arguments, as Redis
      return execute_bitcount(s, argv, out);
    case CommandId::kBitpos: {
      const bool bit = *parse_int64(argv[2]) == 1;
      if (value == nullptr) return out->integer(bit ? -1 : 0);  // an infinite run of 0s
      return execute_bitpos(s, bit, argv, out);
    }
    default:
      return out->error("ERR internal error: not a bitmap read");
  }
}

void execute_bitmap_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, RespWriter* out) {
  if (spec.id == CommandId::kBitop) return execute_bitop(store, argv, out);
  // SETBIT key offset 0|1: the bit's old value.
  const uint64_t offset = *parse_offset(argv[2]);
  const bool on = *parse_int64(argv[3]) == 1;
  Value* found = store.find(argv[1]);
  std::string* s = found == nullptr ? nullptr : std::get_if<std::string>(found);
  if (found != nullptr && s == nullptr) return out->error(kWrongType);
  if (s == nullptr) s = std::get_if<std::string>(store.put(argv[1], std::string()));
  const size_t byte = offset >> 3;
  if (s->size() <= byte) s->resize(byte + 1, '\0');
  const auto mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
  const auto old = static_cast<uint8_t>((*s)[byte]);
  (*s)[byte] = static_cast<char>(on ? (old | mask) : (old & ~mask));
  out->integer((old & mask) != 0 ? 1 : 0);
}

}  // namespace raftkv::kv
