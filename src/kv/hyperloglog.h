// Redis's HyperLogLog, bit for bit: a string value with a 16-byte header ("HYLL", the
// encoding, three unused bytes, an 8-byte little-endian cardinality cache whose top bit
// marks it stale) followed by 16384 six-bit registers, either dense (12288 bytes) or
// sparse (ZERO / XZERO / VAL run opcodes). Elements are hashed with MurmurHash64A and
// Redis's seed, a sparse value turns dense past 3000 bytes (hll-sparse-max-bytes' default)
// or when a register exceeds 32, and the estimate is Ertl's, as in Redis 5 and later. So
// GET of a key returns the bytes redis-server would hold after the same commands, and a
// value written by redis-server is read as it would read it. The functions never trust
// the bytes: a corrupt value gives an error, never a read outside the string.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raftkv::kv::hll {

inline constexpr size_t kRegisters = 16384;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + kRegisters * 6 / 8;
inline constexpr size_t kSparseMaxBytes = 3000;

// One byte a register: what PFCOUNT of several keys and PFMERGE merge into.
using Registers = std::array<uint8_t, kRegisters>;

// Redis's MurmurHash64A (little-endian reads), as PFADD hashes elements.
uint64_t murmur_hash64a(std::string_view data, uint64_t seed);

// Whether a string value is a HyperLogLog as Redis accepts one (isHLLObjectOrReply): the
// magic, a known encoding and, when dense, the exact size. The registers are checked later.
bool looks_valid(std::string_view value);

// A new, empty HLL (sparse; its cache says 0).
std::string make_empty();

// PFADD of one element to a value that looks_valid(): 1 when a register grew, 0 when none
// did, -1 when the sparse registers are corrupt (the value may be partly changed, as
// Redis leaves it).
int add(std::string* value, std::string_view element);

// Marks the cached cardinality stale (after a change).
void invalidate_cache(std::string* value);

// PFCOUNT of one key: the cached cardinality when it is valid, else the estimate (which is
// not written back here: reads do not change the store). Nothing: corrupt registers.
std::optional<uint64_t> cardinality(std::string_view value);

// Raises `max` to the value's registers; false when the sparse registers are corrupt.
bool merge_into(std::string_view value, Registers* max);

// The estimate for merged registers (PFCOUNT of several keys).
uint64_t estimate(const Registers& max);

// PFMERGE's write: turns `value` dense first when `dense`, then raises its registers to
// `max` and marks the cache stale. False when `value`'s sparse registers are corrupt.
bool store_merged(std::string* value, const Registers& max, bool dense);

bool is_dense(std::string_view value);

}  // namespace raftkv::kv::hll
