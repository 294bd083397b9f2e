#include "kv/hyperloglog.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace raftkv::kv::hll {

namespace {

constexpr uint8_t kDense = 0;
constexpr uint8_t kSparse = 1;
constexpr size_t kCardAt = 8;  // the cache's first byte
constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr size_t kDenseBytes = kDenseSize - kHeaderSize;
constexpr size_t kValMaxValue = 32;
constexpr size_t kValMaxLen = 4;
constexpr size_t kZeroMaxLen = 64;
constexpr size_t kNone = std::numeric_limits<size_t>::max();

// A byte of the value; one past the end reads 0, like the terminator Redis's sds strings
// carry (Redis's decoder may read it when the last opcode is a truncated XZERO).
uint8_t at(std::string_view s, size_t i) {
  return i < s.size() ? static_cast<uint8_t>(s[i]) : 0;
}

// The sparse opcodes: ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx.
bool is_zero(uint8_t op) {
  return (op & 0xc0) == 0;
}
bool is_xzero(uint8_t op) {
  return (op & 0xc0) == 0x40;
}
bool is_val(uint8_t op) {
  return (op & 0x80) != 0;
}
size_t zero_len(uint8_t op) {
  return (op & 0x3f) + 1u;
}
size_t xzero_len(uint8_t op, uint8_t next) {
  return ((size_t{op} & 0x3f) << 8 | next) + 1;
}
uint8_t val_value(uint8_t op) {
  return static_cast<uint8_t>(((op >> 2) & 0x1f) + 1);
}
size_t val_len(uint8_t op) {
  return (op & 0x3u) + 1;
}
char val_op(size_t value, size_t len) {
  return static_cast<char>(((value - 1) << 2 | (len - 1)) | 0x80);
}
void append_zeros(std::string* seq, size_t len) {
  if (len > kZeroMaxLen) {
    seq->push_back(static_cast<char>(((len - 1) >> 8) | 0x40));
    seq->push_back(static_cast<char>((len - 1) & 0xff));
  } else {
    seq->push_back(static_cast<char>(len - 1));
  }
}

// One opcode at `p`: its byte length, the registers it covers, and the value they hold.
struct Op {
  size_t bytes, run;
  uint8_t value;
};
Op decode(std::string_view s, size_t p) {
  const uint8_t op = at(s, p);
  if (is_zero(op)) return {1, zero_len(op), 0};
  if (is_xzero(op)) return {2, xzero_len(op, at(s, p + 1)), 0};
  return {1, val_len(op), val_value(op)};
}

uint8_t dense_get(std::string_view s, size_t reg) {
  const size_t byte = kHeaderSize + reg * 6 / 8;
  const size_t fb = reg * 6 & 7;
  const unsigned b0 = at(s, byte);
  const unsigned b1 = byte + 1 < kDenseSize ? at(s, byte + 1) : 0;
  return static_cast<uint8_t>(((b0 >> fb) | (b1 << (8 - fb))) & 63);
}

void dense_put(std::string* s, size_t reg, uint8_t value) {
  const size_t byte = kHeaderSize + reg * 6 / 8;
  const size_t fb = reg * 6 & 7;
  auto* p = reinterpret_cast<uint8_t*>(s->data());
  p[byte] = static_cast<uint8_t>((p[byte] & ~(63u << fb)) | (unsigned{value} << fb));
  if (byte + 1 < kDenseSize) {
    p[byte + 1] =
        static_cast<uint8_t>((p[byte + 1] & ~(63u >> (8 - fb))) | (unsigned{value} >> (8 - fb)));
  }
}

bool dense_set(std::string* s, size_t reg, uint8_t count) {
  if (count <= dense_get(*s, reg)) return false;
  dense_put(s, reg, count);
  return true;
}

// Redis's hllSparseToDense: the header (cache included) is kept; false when the opcodes
// do not cover exactly the 16384 registers (the value is then unchanged).
bool to_dense(std::string* s) {
  if (at(*s, 4) == kDense) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), s->data(), kHeaderSize);
  dense[4] = static_cast<char>(kDense);
  size_t idx = 0;
  for (size_t p = kHeaderSize; p < s->size();) {
    const Op op = decode(*s, p);
    p += op.bytes;
    if (op.run + idx > kRegisters) return false;  // overflow (Redis's CVE-2025-32023 fix)
    for (size_t i = 0; i < op.run && op.value != 0; ++i) dense_put(&dense, idx + i, op.value);
    idx += op.run;
  }
  if (idx != kRegisters) return false;
  *s = std::move(dense);
  return true;
}

// Redis's step 4 of hllSparseSet: merges adjacent VAL opcodes of one value, looking at
// most five opcodes from `p`.
void merge_adjacent(std::string* s, size_t p) {
  for (int scan = 5; p < s->size() && scan-- > 0;) {
    const uint8_t op = at(*s, p);
    if (is_xzero(op)) {
      p += 2;
      continue;
    }
    if (is_zero(op)) {
      ++p;
      continue;
    }
    const uint8_t next = at(*s, p + 1);
    if (p + 1 < s->size() && is_val(next) && val_value(op) == val_value(next)) {
      const size_t len = val_len(op) + val_len(next);
      if (len <= kValMaxLen) {
        (*s)[p + 1] = val_op(val_value(op), len);
        s->erase(p, 1);
        continue;
      }
    }
    ++p;
  }
}

// The opcodes that replace a run (first..last, holding `value`) when register `index`
// of it becomes `count` (Redis's case C).
std::string split_run(size_t first, size_t last, size_t index, uint8_t value, uint8_t count) {
  std::string seq;
  if (value == 0) {
    if (index != first) append_zeros(&seq, index - first);
    seq.push_back(val_op(count, 1));
    if (index != last) append_zeros(&seq, last - index);
  } else {
    if (index != first) seq.push_back(val_op(value, index - first));
    seq.push_back(val_op(count, 1));
    if (index != last) seq.push_back(val_op(value, last - index));
  }
  return seq;
}

int promote(std::string* s, size_t index, uint8_t count) {
  if (!to_dense(s)) return -1;
  dense_set(s, index, count);
  return 1;
}

// Redis's hllSparseSet, with its exact byte layout after every change.
int sparse_set(std::string* s, size_t index, uint8_t count) {
  if (count > kValMaxValue) return promote(s, index, count);
  const size_t end = s->size();
  size_t p = kHeaderSize, first = 0, prev = kNone;
  Op op{0, 0, 0};
  while (p < end) {
    op = decode(*s, p);
    if (index <= first + op.run - 1) break;
    prev = p;
    p += op.bytes;
    first += op.run;
  }
  if (op.run == 0 || p >= end) return -1;
  const uint8_t code = at(*s, p);
  if (is_val(code) && op.value >= count) return 0;
  if ((is_val(code) || is_zero(code)) && op.run == 1) {
    (*s)[p] = val_op(count, 1);
  } else {
    const std::string seq = split_run(first, first + op.run - 1, index, op.value, count);
    const auto delta =
        static_cast<std::ptrdiff_t>(seq.size()) - static_cast<std::ptrdiff_t>(op.bytes);
    if (delta > 0 && end + static_cast<size_t>(delta) > kSparseMaxBytes) {
      return promote(s, index, count);
    }
    // As Redis's memmove + sdsIncrLen: a truncated last XZERO loses its missing byte.
    std::string rebuilt = s->substr(0, p) + seq;
    if (p + op.bytes < end) rebuilt.append(*s, p + op.bytes);
    rebuilt.resize(static_cast<size_t>(static_cast<std::ptrdiff_t>(end) + delta));
    *s = std::move(rebuilt);
  }
  merge_adjacent(s, prev == kNone ? kHeaderSize : prev);
  invalidate_cache(s);
  return 1;
}

using Histogram = std::array<int, 64>;

// Ertl's "improved" estimator, as Redis's hllCount computes it.
double sigma(double x) {
  if (x == 1.) return INFINITY;
  double y = 1, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous != z);
  return z;
}

double tau(double x) {
  if (x == 0. || x == 1.) return 0.;
  double y = 1.0, z = 1 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= std::pow(1 - x, 2) * y;
  } while (previous != z);
  return z / 3;
}

uint64_t estimate_from(const Histogram& h) {
  constexpr double kAlphaInf = 0.721347520444481703680;
  const double m = kRegisters;
  double z = m * tau((m - h[51]) / m);
  for (int j = 50; j >= 1; --j) {
    z += h[static_cast<size_t>(j)];
    z *= 0.5;
  }
  z += m * sigma(h[0] / m);
  return static_cast<uint64_t>(std::llround(kAlphaInf * m * m / z));
}

}  // namespace

uint64_t murmur_hash64a(std::string_view data, uint64_t seed) {
  constexpr uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  uint64_t h = seed ^ (data.size() * m);
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const size_t blocks = data.size() / 8;
  for (size_t i = 0; i < blocks; ++i, p += 8) {
    uint64_t k = 0;
    for (int b = 7; b >= 0; --b) k = (k << 8) | p[b];  // little-endian, as Redis on x86
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const size_t tail = data.size() & 7;
  if (tail != 0) {
    for (size_t b = tail; b-- > 0;) h ^= uint64_t{p[b]} << (8 * b);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

bool looks_valid(std::string_view value) {
  if (value.size() < kHeaderSize || value.substr(0, 4) != "HYLL") return false;
  const uint8_t encoding = at(value, 4);
  if (encoding > kSparse) return false;
  return encoding != kDense || value.size() == kDenseSize;
}

bool is_dense(std::string_view value) {
  return at(value, 4) == kDense;
}

std::string make_empty() {
  std::string s(kHeaderSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kSparse);
  append_zeros(&s, kRegisters);  // one XZERO: every register 0
  return s;
}

void invalidate_cache(std::string* value) {
  (*value)[kCardAt + 7] = static_cast<char>(at(*value, kCardAt + 7) | 0x80);
}

int add(std::string* value, std::string_view element) {
  uint64_t hash = murmur_hash64a(element, kSeed);
  const size_t index = hash & (kRegisters - 1);
  hash >>= 14;
  hash |= uint64_t{1} << 50;
  uint8_t count = 1;
  for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++count;
  if (is_dense(*value)) return dense_set(value, index, count) ? 1 : 0;
  return sparse_set(value, index, count);
}

std::optional<uint64_t> cardinality(std::string_view value) {
  if ((at(value, kCardAt + 7) & 0x80) == 0) {
    uint64_t card = 0;
    for (size_t i = 8; i-- > 0;) card = (card << 8) | at(value, kCardAt + i);
    return card;
  }
  Histogram h{};
  if (is_dense(value)) {
    for (size_t i = 0; i < kRegisters; ++i) ++h[dense_get(value, i)];
    return estimate_from(h);
  }
  size_t idx = 0;
  for (size_t p = kHeaderSize; p < value.size();) {
    const Op op = decode(value, p);
    p += op.bytes;
    idx += op.run;
    h[op.value] += static_cast<int>(op.run);
  }
  if (idx != kRegisters) return std::nullopt;
  return estimate_from(h);
}

bool merge_into(std::string_view value, Registers* max) {
  if (is_dense(value)) {
    for (size_t i = 0; i < kRegisters; ++i) {
      (*max)[i] = std::max((*max)[i], dense_get(value, i));
    }
    return true;
  }
  size_t idx = 0;
  for (size_t p = kHeaderSize; p < value.size();) {
    const Op op = decode(value, p);
    p += op.bytes;
    // Any run past the last register is corrupt, as in Redis since its CVE-2025-32023 fix
    // (before it, an overflowing last VAL opcode went unnoticed).
    if (op.run + idx > kRegisters) return false;
    for (size_t i = idx; i < idx + op.run; ++i) (*max)[i] = std::max((*max)[i], op.value);
    idx += op.run;
  }
  return idx == kRegisters;
}

uint64_t estimate(const Registers& max) {
  Histogram h{};
  for (const uint8_t reg : max) ++h[reg & 63];
  return estimate_from(h);
}

bool store_merged(std::string* value, const Registers& max, bool dense) {
  if (dense && !to_dense(value)) return false;
  for (size_t j = 0; j < kRegisters; ++j) {
    if (max[j] == 0) continue;
    if (is_dense(*value)) {
      dense_set(value, j, max[j]);
    } else {
      sparse_set(value, j, max[j]);  // Redis ignores a failure here too
    }
  }
  invalidate_cache(value);
  return true;
}

}  // namespace raftkv::kv::hll
