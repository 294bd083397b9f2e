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
  const auto* str = std::get_if<StringValue>(value);
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
  store.set(argv[2], StringValue(std::move(result), StringEncoding::kRaw));
  store.persist(argv[2]);  // a new value: the old deadline goes
  out->integer(static_cast<int64_t>(longest));
}

// BITFIELD's operations, parsed as Redis parses them (all before the key is looked up).
struct BitfieldOp {
  enum Code : uint8_t { kGet, kSet, kIncrby } code;
  enum Overflow : uint8_t { kWrap, kSat, kFail } overflow;
  bool is_signed;
  uint32_t bits;
  uint64_t offset;
  int64_t value;
};

std::string parse_bitfield(const CommandSpec& spec, std::span<const std::string> argv,
                           std::vector<BitfieldOp>* ops) {
  constexpr std::string_view kBadType =
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
      "i64 is.";
  auto overflow = BitfieldOp::kWrap;
  bool writes = false;
  for (size_t j = 2; j < argv.size(); ++j) {
    const size_t left = argv.size() - j - 1;
    BitfieldOp op{};
    if (equals_ci(argv[j], "get") && left >= 2) {
      op.code = BitfieldOp::kGet;
    } else if (equals_ci(argv[j], "set") && left >= 3) {
      op.code = BitfieldOp::kSet;
    } else if (equals_ci(argv[j], "incrby") && left >= 3) {
      op.code = BitfieldOp::kIncrby;
    } else if (equals_ci(argv[j], "overflow") && left >= 1) {
      const std::string& type = argv[++j];
      if (equals_ci(type, "wrap")) {
        overflow = BitfieldOp::kWrap;
      } else if (equals_ci(type, "sat")) {
        overflow = BitfieldOp::kSat;
      } else if (equals_ci(type, "fail")) {
        overflow = BitfieldOp::kFail;
      } else {
        return "ERR Invalid OVERFLOW type specified";
      }
      continue;
    } else {
      return std::string(kSyntaxError);
    }
    const std::string& type = argv[j + 1];
    if (type.empty() || (type[0] != 'i' && type[0] != 'u')) return std::string(kBadType);
    op.is_signed = type[0] == 'i';
    const auto bits = parse_int64(std::string_view(type).substr(1));
    if (!bits || *bits < 1 || *bits > (op.is_signed ? 64 : 63)) return std::string(kBadType);
    op.bits = static_cast<uint32_t>(*bits);
    // The offset, in bits, or "#n": the n-th field of this width.
    std::string_view offset_text = argv[j + 2];
    const bool by_field = !offset_text.empty() && offset_text[0] == '#';
    if (by_field) offset_text.remove_prefix(1);
    auto offset = parse_int64(offset_text);
    int64_t scaled = 0;
    if (offset && by_field && __builtin_mul_overflow(*offset, *bits, &scaled)) offset.reset();
    if (offset && by_field) offset = scaled;
    if (!offset || *offset < 0 || static_cast<uint64_t>(*offset >> 3) >= kMaxValueSize) {
      return std::string(kBadOffset);
    }
    op.offset = static_cast<uint64_t>(*offset);
    if (op.code != BitfieldOp::kGet) {
      writes = true;
      const auto value = parse_int64(argv[j + 3]);
      if (!value) return std::string(kNotInteger);
      op.value = *value;
    }
    op.overflow = overflow;
    ops->push_back(op);
    j += op.code == BitfieldOp::kGet ? 2 : 3;
  }
  if (writes && spec.id == CommandId::kBitfieldRo) {
    return "ERR BITFIELD_RO only supports the GET subcommand";
  }
  return {};
}

uint64_t get_bits(std::string_view s, uint64_t offset, uint32_t bits) {
  uint64_t value = 0;
  for (uint32_t i = 0; i < bits; ++i, ++offset) {
    const bool bit = (offset >> 3) < s.size() && bit_at(s, offset);
    value = (value << 1) | (bit ? 1 : 0);
  }
  return value;
}

int64_t as_signed(uint64_t value, uint32_t bits) {
  if (bits < 64 && (value & (uint64_t{1} << (bits - 1))) != 0) value |= ~uint64_t{0} << bits;
  return static_cast<int64_t>(value);
}

void set_bits(std::string* s, uint64_t offset, uint32_t bits, uint64_t value) {
  for (uint32_t i = 0; i < bits; ++i, ++offset) {
    const bool bit = (value & (uint64_t{1} << (bits - 1 - i))) != 0;
    const auto mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
    auto& byte = reinterpret_cast<uint8_t&>((*s)[offset >> 3]);
    byte = static_cast<uint8_t>(bit ? (byte | mask) : (byte & ~mask));
  }
}

// Redis's checkUnsignedBitfieldOverflow / checkSignedBitfieldOverflow: whether value + incr
// leaves the type's range, and (wrap, sat) what to store instead.
bool unsigned_overflow(uint64_t value, int64_t incr, uint32_t bits, BitfieldOp::Overflow type,
                       uint64_t* limit) {
  const uint64_t max = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits) - 1;
  const auto max_incr = static_cast<int64_t>(max - value);
  const auto min_incr = static_cast<int64_t>(0 - value);
  const bool high = value > max || (incr > 0 && incr > max_incr);
  const bool low = !high && incr < 0 && incr < min_incr;
  if (!high && !low) return false;
  if (type == BitfieldOp::kWrap) {
    *limit = (value + static_cast<uint64_t>(incr)) & ~(~uint64_t{0} << bits);
  } else if (type == BitfieldOp::kSat) {
    *limit = high ? max : 0;
  }
  return true;
}

bool signed_overflow(int64_t value, int64_t incr, uint32_t bits, BitfieldOp::Overflow type,
                     int64_t* limit) {
  const int64_t max = bits == 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
  const int64_t min = -max - 1;
  const auto max_incr =
      static_cast<int64_t>(static_cast<uint64_t>(max) - static_cast<uint64_t>(value));
  const auto min_incr =
      static_cast<int64_t>(static_cast<uint64_t>(min) - static_cast<uint64_t>(value));
  const bool high =
      value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr);
  const bool low = !high && (value < min || (bits != 64 && incr < min_incr) ||
                             (value < 0 && incr < 0 && incr < min_incr));
  if (!high && !low) return false;
  if (type == BitfieldOp::kWrap) {
    uint64_t c = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (bits < 64) {
      const uint64_t mask = ~uint64_t{0} << bits;
      c = (c & (uint64_t{1} << (bits - 1))) != 0 ? (c | mask) : (c & ~mask);
    }
    *limit = static_cast<int64_t>(c);
  } else if (type == BitfieldOp::kSat) {
    *limit = high ? max : min;
  }
  return true;
}

// One SET or INCRBY on `s` (long enough): its reply, or nil on a FAIL overflow.
void apply_bitfield_write(std::string* s, const BitfieldOp& op, RespWriter* out) {
  const bool incr = op.code == BitfieldOp::kIncrby;
  if (op.is_signed) {
    const int64_t old = as_signed(get_bits(*s, op.offset, op.bits), op.bits);
    int64_t wrapped = 0;
    const bool overflow = incr ? signed_overflow(old, op.value, op.bits, op.overflow, &wrapped)
                               : signed_overflow(op.value, 0, op.bits, op.overflow, &wrapped);
    if (overflow && op.overflow == BitfieldOp::kFail) return out->null_bulk();
    const int64_t next = overflow ? wrapped
                                  : (incr ? static_cast<int64_t>(static_cast<uint64_t>(old) +
                                                                 static_cast<uint64_t>(op.value))
                                          : op.value);
    out->integer(incr ? next : old);
    return set_bits(s, op.offset, op.bits, static_cast<uint64_t>(next));
  }
  const uint64_t old = get_bits(*s, op.offset, op.bits);
  const auto value = static_cast<uint64_t>(op.value);
  uint64_t wrapped = 0;
  const bool overflow = incr ? unsigned_overflow(old, op.value, op.bits, op.overflow, &wrapped)
                             : unsigned_overflow(value, 0, op.bits, op.overflow, &wrapped);
  if (overflow && op.overflow == BitfieldOp::kFail) return out->null_bulk();
  const uint64_t next = overflow ? wrapped : (incr ? old + value : value);
  out->integer(static_cast<int64_t>(incr ? next : old));
  set_bits(s, op.offset, op.bits, next);
}

void write_bitfield_get(std::string_view s, const BitfieldOp& op, RespWriter* out) {
  const uint64_t value = get_bits(s, op.offset, op.bits);
  out->integer(op.is_signed ? as_signed(value, op.bits) : static_cast<int64_t>(value));
}

// BITFIELD key [GET|SET|INCRBY|OVERFLOW ...]: with only GETs it reads (a missing key stays
// missing); any write creates the key, grown to the farthest bit written, even when every
// write fails an OVERFLOW FAIL check, as Redis does.
void execute_bitfield(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                      RespWriter* out) {
  std::vector<BitfieldOp> ops;
  (void)parse_bitfield(spec, argv, &ops);  // validated already
  uint64_t highest = 0;
  bool writes = false;
  for (const auto& op : ops) {
    if (op.code == BitfieldOp::kGet) continue;
    writes = true;
    highest = std::max(highest, op.offset + op.bits - 1);
  }
  Value* found = store.find(argv[1]);
  StringValue* s = found == nullptr ? nullptr : std::get_if<StringValue>(found);
  if (found != nullptr && s == nullptr) return out->error(kWrongType);
  if (writes) {
    if (s == nullptr) s = std::get_if<StringValue>(store.put(argv[1], std::string()));
    s->encoding = StringEncoding::kRaw;  // changed in place, as Redis does after unsharing
    if (s->size() <= (highest >> 3)) s->resize((highest >> 3) + 1, '\0');
  }
  out->array_header(ops.size());
  for (const auto& op : ops) {
    if (op.code == BitfieldOp::kGet) {
      write_bitfield_get(s == nullptr ? std::string_view() : std::string_view(*s), op, out);
    } else {
      apply_bitfield_write(s, op, out);
    }
  }
}

}  // namespace

bool is_bitmap_command(CommandId id) {
  switch (id) {
    case CommandId::kSetbit:
    case CommandId::kGetbit:
    case CommandId::kBitcount:
    case CommandId::kBitpos:
    case CommandId::kBitop:
    case CommandId::kBitfield:
    case CommandId::kBitfieldRo:
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
    case CommandId::kBitfield:
    case CommandId::kBitfieldRo: {
      std::vector<BitfieldOp> ops;
      return parse_bitfield(spec, argv, &ops);
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
    case CommandId::kBitfieldRo: {
      std::vector<BitfieldOp> ops;
      (void)parse_bitfield(spec, argv, &ops);  // validated already
      out->array_header(ops.size());
      for (const auto& op : ops) write_bitfield_get(s, op, out);
      return;
    }
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
  if (spec.id == CommandId::kBitfield) return execute_bitfield(store, spec, argv, out);
  // SETBIT key offset 0|1: the bit's old value.
  const uint64_t offset = *parse_offset(argv[2]);
  const bool on = *parse_int64(argv[3]) == 1;
  Value* found = store.find(argv[1]);
  StringValue* s = found == nullptr ? nullptr : std::get_if<StringValue>(found);
  if (found != nullptr && s == nullptr) return out->error(kWrongType);
  if (s == nullptr) s = std::get_if<StringValue>(store.put(argv[1], std::string()));
  s->encoding = StringEncoding::kRaw;  // changed in place, as Redis does after unsharing
  const size_t byte = offset >> 3;
  if (s->size() <= byte) s->resize(byte + 1, '\0');
  const auto mask = static_cast<uint8_t>(1u << (7 - (offset & 7)));
  const auto old = static_cast<uint8_t>((*s)[byte]);
  (*s)[byte] = static_cast<char>(on ? (old | mask) : (old & ~mask));
  out->integer((old & mask) != 0 ? 1 : 0);
}

}  // namespace raftkv::kv
