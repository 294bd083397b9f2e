#include "server/hash_slot.h"

#include <array>

namespace raftkv::server {

namespace {

// CRC16/XMODEM (polynomial 0x1021, initial value 0), as the Redis Cluster specification
// defines the slot function. Written out because no packaged library offers it short of
// Boost's whole header set; checked against the specification's test vector in the tests.
// Byte-at-a-time with a table built at compile time: every keyed command computes it.
constexpr std::array<uint16_t, 256> make_crc16_table() {
  std::array<uint16_t, 256> table{};
  for (unsigned i = 0; i < 256; ++i) {
    auto crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[i] = crc;
  }
  return table;
}
constexpr std::array<uint16_t, 256> kCrc16Table = make_crc16_table();

uint16_t crc16_xmodem(std::string_view data) {
  uint16_t crc = 0;
  for (unsigned char byte : data) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[((crc >> 8) ^ byte) & 0xff]);
  }
  return crc;
}

}  // namespace

uint16_t hash_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, if that part is non-empty.
  size_t open = key.find('{');
  if (open != std::string_view::npos) {
    size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16_xmodem(key) % kClusterSlots;
}

}  // namespace raftkv::server
