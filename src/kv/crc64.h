// Redis's CRC-64 (the "Jones" polynomial 0xad93d23594c935a9, reflected, initial value 0, no
// final xor), which checks DUMP payloads and RDB files. crc64(0, "123456789") is
// 0xe9c6d914c4b8d9ca. Standalone: no other raftkv code depends on it but the framing.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftkv::kv {

// Continues the checksum `crc` over `bytes` (start with 0).
uint64_t crc64(uint64_t crc, std::string_view bytes);

}  // namespace raftkv::kv
