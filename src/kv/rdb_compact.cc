// The compact blobs of rdb_primitives.h: listpack, ziplist and intset, parsed with every
// structural check Redis's deep sanitization makes, built as Redis builds them.
#include <algorithm>

#include "kv/rdb_primitives.h"

namespace raftkv::kv {

namespace {

constexpr uint8_t kEnd = 0xff;
constexpr size_t kListpackHeader = 6;  // total bytes (4) + element count (2)
constexpr size_t kZiplistHeader = 10;  // total bytes (4) + tail offset (4) + count (2)
constexpr uint64_t kUnknownCount = 65535;

uint64_t le(std::string_view s, size_t pos, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = bytes; i-- > 0;) v = (v << 8) | static_cast<uint8_t>(s[pos + i]);
  return v;
}

int64_t sign_extend(uint64_t v, int bits) {
  const uint64_t sign = uint64_t{1} << (bits - 1);
  return static_cast<int64_t>((v ^ sign) - sign);
}

void put_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A listpack entry's back-length: its encoded size, 7 bits a byte, most significant first.
std::string backlen(uint64_t size) {
  int n = 1;
  while (n < 5 && size >= (uint64_t{1} << (7 * n)) - (n == 1 ? 0 : 1)) ++n;
  std::string out;
  for (int i = 0; i < n; ++i) {
    const uint8_t bits = static_cast<uint8_t>((size >> (7 * (n - 1 - i))) & 127);
    out.push_back(static_cast<char>(i > 0 ? bits | 128 : bits));
  }
  return out;
}

struct Entry {
  size_t header = 0;  // encoding bytes
  uint64_t data = 0;  // string bytes (0 for integers)
  bool is_int = false;
  int64_t value = 0;
};

// Decodes the listpack entry encoding at `pos`; false if invalid or truncated.
bool listpack_entry(std::string_view lp, size_t pos, Entry* e) {
  const size_t left = lp.size() - pos;
  const uint8_t b = static_cast<uint8_t>(lp[pos]);
  const auto need = [&](size_t n) { return left >= n; };
  if (b < 0x80) {
    *e = {1, 0, true, b};
  } else if ((b & 0xc0) == 0x80) {
    *e = {1, b & 0x3fu, false, 0};
  } else if ((b & 0xe0) == 0xc0) {
    if (!need(2)) return false;
    *e = {2, 0, true, sign_extend((uint64_t{b & 0x1fu} << 8) | le(lp, pos + 1, 1), 13)};
  } else if ((b & 0xf0) == 0xe0) {
    if (!need(2)) return false;
    *e = {2, (uint64_t{b & 0x0fu} << 8) | le(lp, pos + 1, 1), false, 0};
  } else if (b == 0xf0) {
    if (!need(5)) return false;
    *e = {5, le(lp, pos + 1, 4), false, 0};
  } else if (b >= 0xf1 && b <= 0xf4) {
    const int bytes = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
    if (!need(1 + static_cast<size_t>(bytes))) return false;
    *e = {1 + static_cast<size_t>(bytes), 0, true, sign_extend(le(lp, pos + 1, bytes), bytes * 8)};
  } else {
    return false;
  }
  return true;
}

// Decodes the ziplist entry encoding at `pos` (after the prev-length).
bool ziplist_entry(std::string_view zl, size_t pos, Entry* e) {
  const size_t left = zl.size() - pos;
  const uint8_t b = static_cast<uint8_t>(zl[pos]);
  if ((b >> 6) == 0) {
    *e = {1, b & 0x3fu, false, 0};
  } else if ((b >> 6) == 1) {
    if (left < 2) return false;
    *e = {2, (uint64_t{b & 0x3fu} << 8) | static_cast<uint8_t>(zl[pos + 1]), false, 0};
  } else if (b == 0x80) {
    if (left < 5) return false;
    uint64_t len = 0;
    for (size_t i = 1; i <= 4; ++i) len = (len << 8) | static_cast<uint8_t>(zl[pos + i]);
    *e = {5, len, false, 0};
  } else if (b >= 0xf1 && b <= 0xfd) {
    *e = {1, 0, true, (b & 0x0f) - 1};
  } else {
    const int bytes = b == 0xc0   ? 2
                      : b == 0xd0 ? 4
                      : b == 0xe0 ? 8
                      : b == 0xf0 ? 3
                      : b == 0xfe ? 1
                                  : 0;
    if (bytes == 0 || left < 1 + static_cast<size_t>(bytes)) return false;
    *e = {1 + static_cast<size_t>(bytes), 0, true, sign_extend(le(zl, pos + 1, bytes), bytes * 8)};
  }
  return true;
}

std::string element_of(std::string_view blob, size_t pos, const Entry& e) {
  return e.is_int ? std::to_string(e.value) : std::string(blob.substr(pos + e.header, e.data));
}

}  // namespace

std::optional<std::vector<std::string>> parse_listpack(std::string_view lp) {
  if (lp.size() < kListpackHeader + 1 || le(lp, 0, 4) != lp.size() ||
      static_cast<uint8_t>(lp.back()) != kEnd) {
    return std::nullopt;
  }
  const uint64_t declared = le(lp, 4, 2);
  std::vector<std::string> out;
  size_t pos = kListpackHeader;
  while (pos < lp.size() - 1) {
    Entry e;
    if (!listpack_entry(lp, pos, &e)) return std::nullopt;
    const uint64_t size = e.header + e.data;
    const std::string back = backlen(size);
    if (e.data > lp.size() || lp.size() - 1 - pos < size + back.size() ||
        lp.substr(pos + size, back.size()) != back) {
      return std::nullopt;
    }
    out.push_back(element_of(lp, pos, e));
    pos += size + back.size();
  }
  if (pos != lp.size() - 1 || (declared != kUnknownCount && declared != out.size())) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> parse_ziplist(std::string_view zl) {
  if (zl.size() < kZiplistHeader + 1 || le(zl, 0, 4) != zl.size() ||
      static_cast<uint8_t>(zl.back()) != kEnd) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  size_t pos = kZiplistHeader;
  size_t prev_size = 0;
  size_t last = kZiplistHeader;
  while (pos < zl.size() - 1) {
    const uint8_t first = static_cast<uint8_t>(zl[pos]);
    const size_t prev_bytes = first < 254 ? 1 : 5;
    if (first == 255 || zl.size() - 1 - pos < prev_bytes + 1) return std::nullopt;
    if ((prev_bytes == 1 ? first : le(zl, pos + 1, 4)) != prev_size) return std::nullopt;
    Entry e;
    if (!ziplist_entry(zl, pos + prev_bytes, &e)) return std::nullopt;
    const uint64_t size = prev_bytes + e.header + e.data;
    if (e.data > zl.size() || zl.size() - 1 - pos < size) return std::nullopt;
    out.push_back(element_of(zl, pos + prev_bytes, e));
    last = pos;
    prev_size = size;
    pos += size;
  }
  const uint64_t declared = le(zl, 8, 2);
  if (pos != zl.size() - 1 || le(zl, 4, 4) != last ||
      (declared != kUnknownCount && declared != out.size())) {
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> parse_intset(std::string_view is) {
  if (is.size() < 8) return std::nullopt;
  const uint64_t width = le(is, 0, 4);
  const uint64_t count = le(is, 4, 4);
  if ((width != 2 && width != 4 && width != 8) || count == 0 || is.size() != 8 + width * count) {
    return std::nullopt;
  }
  std::vector<std::string> out;
  int64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    const int64_t v = sign_extend(le(is, 8 + i * width, width), static_cast<int>(width * 8));
    if (i > 0 && v <= previous) return std::nullopt;  // Redis keeps them sorted and unique
    previous = v;
    out.push_back(std::to_string(v));
  }
  return out;
}

void ListpackWriter::append_entry(std::string_view encoded) {
  entries_.append(encoded);
  entries_.append(backlen(encoded.size()));
  ++count_;
}

void ListpackWriter::append_int(int64_t v) {
  std::string e;
  if (v >= 0 && v <= 127) {
    e.push_back(static_cast<char>(v));
  } else if (v >= -4096 && v <= 4095) {
    const uint64_t u = static_cast<uint64_t>(v) & 0x1fff;
    e.push_back(static_cast<char>(0xc0 | (u >> 8)));
    e.push_back(static_cast<char>(u & 0xff));
  } else {
    const int bytes = v >= INT16_MIN && v <= INT16_MAX   ? 2
                      : v >= -(1 << 23) && v < (1 << 23) ? 3
                      : v >= INT32_MIN && v <= INT32_MAX ? 4
                                                         : 8;
    e.push_back(static_cast<char>(bytes == 2   ? 0xf1
                                  : bytes == 3 ? 0xf2
                                  : bytes == 4 ? 0xf3
                                               : 0xf4));
    put_le(&e, static_cast<uint64_t>(v), bytes);
  }
  append_entry(e);
}

void ListpackWriter::append(std::string_view element) {
  if (const auto v = canonical_int(element)) return append_int(*v);
  std::string e;
  const size_t n = element.size();
  if (n < 64) {
    e.push_back(static_cast<char>(0x80 | n));
  } else if (n < 4096) {
    e.push_back(static_cast<char>(0xe0 | (n >> 8)));
    e.push_back(static_cast<char>(n & 0xff));
  } else {
    e.push_back(static_cast<char>(0xf0));
    put_le(&e, n, 4);
  }
  e.append(element);
  append_entry(e);
}

std::string ListpackWriter::finish() const {
  std::string out;
  put_le(&out, bytes(), 4);
  put_le(&out, std::min<uint64_t>(count_, kUnknownCount), 2);
  out.append(entries_);
  out.push_back(static_cast<char>(kEnd));
  return out;
}

std::string build_intset(std::span<const int64_t> values) {
  int width = 2;
  for (const int64_t v : values) {
    if (v < INT32_MIN || v > INT32_MAX) {
      width = 8;
    } else if ((v < INT16_MIN || v > INT16_MAX) && width < 4) {
      width = 4;
    }
  }
  std::string out;
  put_le(&out, static_cast<uint64_t>(width), 4);
  put_le(&out, values.size(), 4);
  for (const int64_t v : values) put_le(&out, static_cast<uint64_t>(v), width);
  return out;
}

}  // namespace raftkv::kv
