#include "kv/rdb_primitives.h"

#include <lzf.h>

#include <bit>
#include <cstdlib>
#include <limits>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

// RDB length prefixes (rdb.h).
constexpr uint8_t kLen32 = 0x80;
constexpr uint8_t kLen64 = 0x81;
// Special string encodings after a 0b11 length prefix.
constexpr uint64_t kEncInt8 = 0;
constexpr uint64_t kEncInt16 = 1;
constexpr uint64_t kEncInt32 = 2;
constexpr uint64_t kEncLzf = 3;
// No decompressed string is larger than Redis's proto-max-bulk-len default.
constexpr uint64_t kMaxString = uint64_t{512} << 20;

int64_t sign_extend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

uint64_t read_le(std::string_view s, size_t pos, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

void append_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

}  // namespace

std::optional<int64_t> canonical_int(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  const auto v = parse_int64(s);
  if (!v || std::to_string(*v) != s) return std::nullopt;
  return v;
}

bool RdbReader::u8(uint8_t* v) {
  if (!ok_ || pos_ >= in_.size()) return fail();
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool RdbReader::raw(size_t n, std::string_view* out) {
  if (!ok_ || remaining() < n) return fail();
  *out = in_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool RdbReader::fixed_le(int bytes, uint64_t* v) {
  std::string_view s;
  if (!raw(static_cast<size_t>(bytes), &s)) return false;
  *v = read_le(s, 0, bytes);
  return true;
}

bool RdbReader::length_or_encoding(uint64_t* v, bool* encoded) {
  uint8_t b = 0;
  if (!u8(&b)) return false;
  *encoded = false;
  switch (b >> 6) {
    case 0:
      *v = b & 0x3f;
      return true;
    case 1: {
      uint8_t low = 0;
      if (!u8(&low)) return false;
      *v = (uint64_t{b & 0x3fu} << 8) | low;
      return true;
    }
    case 3:
      *encoded = true;
      *v = b & 0x3f;
      return true;
    default:
      break;
  }
  if (b != kLen32 && b != kLen64) return fail();
  std::string_view s;
  if (!raw(b == kLen32 ? 4 : 8, &s)) return false;
  *v = 0;
  for (const char c : s) *v = (*v << 8) | static_cast<uint8_t>(c);  // big-endian
  return true;
}

bool RdbReader::length(uint64_t* v) {
  bool encoded = false;
  return length_or_encoding(v, &encoded) && (!encoded || fail());
}

bool RdbReader::count(uint64_t* v, size_t min_bytes) {
  return length(v) && (*v <= remaining() / min_bytes || fail());
}

bool RdbReader::string(std::string* out) {
  uint64_t len = 0;
  bool encoded = false;
  if (!length_or_encoding(&len, &encoded)) return false;
  if (!encoded) {
    std::string_view s;
    if (!raw(len, &s)) return false;
    out->assign(s);
    return true;
  }
  if (len == kEncLzf) return lzf_string(out);
  const int bytes = len == kEncInt8 ? 1 : len == kEncInt16 ? 2 : len == kEncInt32 ? 4 : 0;
  uint64_t v = 0;
  if (bytes == 0 || !fixed_le(bytes, &v)) return fail();
  *out = std::to_string(sign_extend(v, bytes * 8));
  return true;
}

bool RdbReader::lzf_string(std::string* out) {
  uint64_t compressed = 0;
  uint64_t size = 0;
  std::string_view in;
  if (!length(&compressed) || !length(&size) || !raw(compressed, &in)) return false;
  // LZF expands at most 264 bytes per 3-byte back-reference: a larger claim is corrupt.
  if (size == 0 || size > kMaxString || size > compressed * 88 + 64) return fail();
  out->assign(size, '\0');
  const unsigned got = lzf_decompress(in.data(), static_cast<unsigned>(in.size()), out->data(),
                                      static_cast<unsigned>(size));
  return got == size || fail();
}

bool RdbReader::ascii_double(double* v) {
  uint8_t len = 0;
  if (!u8(&len)) return false;
  if (len >= 253) {
    *v = len == 253   ? std::numeric_limits<double>::quiet_NaN()
         : len == 254 ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
    return true;
  }
  std::string_view s;
  if (!raw(len, &s)) return false;
  const std::string text(s);
  char* end = nullptr;
  *v = std::strtod(text.c_str(), &end);
  return (len > 0 && end == text.c_str() + text.size()) || fail();
}

bool RdbReader::binary_double(double* v) {
  uint64_t bits = 0;
  if (!fixed_le(8, &bits)) return false;
  *v = std::bit_cast<double>(bits);
  return true;
}

void RdbWriter::fixed_le(int bytes, uint64_t v) {
  append_le(out_, v, bytes);
}

void RdbWriter::length(uint64_t v) {
  if (v < 64) return u8(static_cast<uint8_t>(v));
  if (v < 16384) {
    u8(static_cast<uint8_t>(0x40 | (v >> 8)));
    return u8(static_cast<uint8_t>(v & 0xff));
  }
  const bool small = v <= UINT32_MAX;
  u8(small ? kLen32 : kLen64);
  for (int shift = small ? 24 : 56; shift >= 0; shift -= 8) u8(static_cast<uint8_t>(v >> shift));
}

void RdbWriter::string(std::string_view s) {
  // rdbTryIntegerEncoding: at most 11 characters, canonical, and within 32 bits.
  if (const auto v = s.size() <= 11 ? canonical_int(s) : std::nullopt;
      v && *v >= INT32_MIN && *v <= INT32_MAX) {
    const int bytes = *v >= INT8_MIN && *v <= INT8_MAX     ? 1
                      : *v >= INT16_MIN && *v <= INT16_MAX ? 2
                                                           : 4;
    u8(static_cast<uint8_t>(0xc0 | (bytes == 1 ? kEncInt8 : bytes == 2 ? kEncInt16 : kEncInt32)));
    return fixed_le(bytes, static_cast<uint64_t>(*v));
  }
  blob(s);
}

void RdbWriter::blob(std::string_view s) {
  if (!lzf(s)) {
    length(s.size());
    out_->append(s);
  }
}

// rdbSaveLzfStringObject, with Redis's default rdbcompression yes: a string of more than 20
// bytes is written LZF-compressed when that saves at least 4 bytes (the same liblzf 3.6 and
// parameters as Redis's bundled copy, so the same bytes).
bool RdbWriter::lzf(std::string_view s) {
  if (s.size() <= 20) return false;
  std::string packed(s.size() - 4, '\0');
  const unsigned n = lzf_compress(s.data(), static_cast<unsigned>(s.size()), packed.data(),
                                  static_cast<unsigned>(packed.size()));
  if (n == 0) return false;
  u8(static_cast<uint8_t>(0xc0 | kEncLzf));
  length(n);
  length(s.size());
  out_->append(packed.data(), n);
  return true;
}

void RdbWriter::binary_double(double v) {
  fixed_le(8, std::bit_cast<uint64_t>(v));
}

}  // namespace raftkv::kv
