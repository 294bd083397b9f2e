// The first frame on every peer connection: who is connecting, and to which cluster.
// Payload: magic "RKVP", version byte, sender node id (u64 big-endian), cluster id bytes.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::net {

inline constexpr size_t kMaxClusterIdBytes = 256;
// Bound on the handshake frame, applied before the peer is known to be one of ours.
inline constexpr uint32_t kMaxHandshakeFrameBytes = 512;

struct Handshake {
  raft::NodeId node_id = raft::kNoNode;
  std::string cluster_id;

  bool operator==(const Handshake&) const = default;
};

std::string encode_handshake(const Handshake& h);

// Fails on a wrong magic or version, node id 0, or a cluster id over kMaxClusterIdBytes.
std::optional<Handshake> decode_handshake(std::string_view payload);

}  // namespace raftkv::net
