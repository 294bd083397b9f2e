// The framing of DUMP payloads (Redis's createDumpPayload / verifyDumpPayload): the body (an
// RDB type byte and value for DUMP, a function library for FUNCTION DUMP) followed by a
// 2-byte RDB version and the CRC-64 (crc64.h) of everything before it, both little-endian.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raftkv/raft/result.h"

namespace raftkv::kv {

// Redis 7.0's RDB version: payloads carry it, and newer ones are refused.
inline constexpr uint16_t kRdbVersion = 10;

inline constexpr std::string_view kBadPayloadVersionOrChecksum =
    "ERR DUMP payload version or checksum are wrong";

// The body with its footer appended.
std::string frame_dump_payload(std::string body);

// The body of a payload whose version is at most kRdbVersion and whose checksum is right;
// otherwise kBadPayloadVersionOrChecksum.
raft::Result<std::string_view, std::string> unframe_dump_payload(std::string_view payload);

}  // namespace raftkv::kv
