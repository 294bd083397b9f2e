#include "kv/dump_payload.h"

#include "kv/crc64.h"

namespace raftkv::kv {

namespace {

constexpr size_t kFooterSize = 10;  // version (2) + CRC-64 (8)

void append_le(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t read_le(std::string_view in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

}  // namespace

std::string frame_dump_payload(std::string body) {
  append_le(&body, kRdbVersion, 2);
  append_le(&body, crc64(0, body), 8);
  return body;
}

raft::Result<std::string_view, std::string> unframe_dump_payload(std::string_view payload) {
  const auto bad = [] { return raft::unexpected(std::string(kBadPayloadVersionOrChecksum)); };
  if (payload.size() < kFooterSize) return bad();
  const size_t body_size = payload.size() - kFooterSize;
  const uint64_t version = read_le(payload.substr(body_size), 2);
  const uint64_t crc = read_le(payload.substr(body_size + 2), 8);
  if (version > kRdbVersion || crc64(0, payload.substr(0, body_size + 2)) != crc) {
    return bad();
  }
  return payload.substr(0, body_size);
}

}  // namespace raftkv::kv
