// Big-endian (network order) integers in byte strings, for the frame header and handshake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv::net {

template <typename UInt>
void append_big_endian(UInt value, std::string* out) {
  for (size_t shift = sizeof(UInt) * 8; shift > 0; shift -= 8) {
    out->push_back(static_cast<char>((value >> (shift - 8)) & 0xff));
  }
}

// Reads sizeof(UInt) bytes from the front of `bytes`, which must hold at least that many.
template <typename UInt>
UInt load_big_endian(std::string_view bytes) {
  UInt value = 0;
  for (size_t i = 0; i < sizeof(UInt); ++i) {
    value = static_cast<UInt>((value << 8) | static_cast<uint8_t>(bytes[i]));
  }
  return value;
}

}  // namespace raftkv::net
