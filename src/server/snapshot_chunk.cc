#include "server/snapshot_chunk.h"

namespace raftkv::server {

namespace {

constexpr std::string_view kMagic("RKVSTRM1", 8);
constexpr size_t kHeaderSize = 8 + 1 + 8 + 8 + 8 + 4;

void put(std::string* out, uint64_t v, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get(std::string_view in, size_t at, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[at + i])) << (8 * i);
  }
  return v;
}

}  // namespace

std::string encode_chunk_header(const ChunkHeader& h) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(h.kind));
  put(&out, h.transfer_id, 8);
  put(&out, h.offset, 8);
  put(&out, h.total, 8);
  put(&out, h.checksum, 4);
  return out;
}

std::optional<ChunkHeader> decode_chunk_header(std::string_view context) {
  if (context.size() != kHeaderSize || context.substr(0, kMagic.size()) != kMagic) {
    return std::nullopt;
  }
  ChunkHeader h;
  auto kind = static_cast<uint8_t>(context[8]);
  if (kind != 1 && kind != 2) return std::nullopt;
  h.kind = static_cast<ChunkHeader::Kind>(kind);
  h.transfer_id = get(context, 9, 8);
  h.offset = get(context, 17, 8);
  h.total = get(context, 25, 8);
  h.checksum = static_cast<uint32_t>(get(context, 33, 4));
  return h;
}

bool is_snapshot_stream_message(const raft::Message& m) {
  return m.type == raft::MessageType::kSnapshot && m.context.size() >= kMagic.size() &&
         std::string_view(m.context).substr(0, kMagic.size()) == kMagic;
}

}  // namespace raftkv::server
