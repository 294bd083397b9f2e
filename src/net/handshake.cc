#include "net/handshake.h"

#include <cstdint>

#include "net/byte_order.h"

namespace raftkv::net {
namespace {

constexpr std::string_view kMagic = "RKVP";
constexpr char kVersion = 1;
constexpr size_t kFixedBytes = kMagic.size() + 1 + sizeof(uint64_t);

}  // namespace

std::string encode_handshake(const Handshake& h) {
  std::string out(kMagic);
  out.push_back(kVersion);
  append_big_endian(static_cast<uint64_t>(h.node_id), &out);
  out += h.cluster_id;
  return out;
}

std::optional<Handshake> decode_handshake(std::string_view payload) {
  if (payload.size() < kFixedBytes || !payload.starts_with(kMagic) ||
      payload[kMagic.size()] != kVersion) {
    return std::nullopt;
  }
  Handshake h;
  h.node_id = load_big_endian<uint64_t>(payload.substr(kMagic.size() + 1));
  h.cluster_id = std::string(payload.substr(kFixedBytes));
  if (h.node_id == raft::kNoNode || h.cluster_id.size() > kMaxClusterIdBytes) return std::nullopt;
  return h;
}

}  // namespace raftkv::net
