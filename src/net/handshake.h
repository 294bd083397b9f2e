// The first frame on every peer connection: who is connecting, to which cluster, and where
// the sender serves Redis clients. Two versions are spoken (see docs/transport.md):
//   v1: magic "RKVP", version 1, sender node id (u64 BE), cluster id (the rest)
//   v2: magic "RKVP", version 2, sender node id (u64 BE),
//       cluster id length (u16 BE), cluster id, client address length (u16 BE), client address
// encode_handshake() writes v1 when there is no client address, so a node without one is
// understood by v1-only peers; decode_handshake() reads both.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::net {

inline constexpr size_t kMaxClusterIdBytes = 256;
inline constexpr size_t kMaxClientAddressBytes = 256;
// Bound on the handshake frame, applied before the peer is known to be one of ours. Fits
// the largest valid v2 handshake (529 bytes).
inline constexpr uint32_t kMaxHandshakeFrameBytes = 1024;

struct Handshake {
  raft::NodeId node_id = raft::kNoNode;
  std::string cluster_id;
  // The sender's Redis client address ("host:port"); empty when not advertised (always
  // empty in a v1 handshake).
  std::string client_address;

  bool operator==(const Handshake&) const = default;
};

// True for "" (nothing advertised) and for a host:port of at most kMaxClientAddressBytes
// printable, non-space ASCII characters that parse_peer_address() accepts.
bool valid_client_address(std::string_view address);

// v1 if h.client_address is empty, v2 otherwise. Fields beyond their bounds produce a
// handshake that the receiver refuses.
std::string encode_handshake(const Handshake& h);

// Fails on a wrong magic or unknown version, node id 0, a cluster id over kMaxClusterIdBytes,
// and in v2 on lengths that do not match the payload exactly or a client address that is not
// valid_client_address().
std::optional<Handshake> decode_handshake(std::string_view payload);

}  // namespace raftkv::net
