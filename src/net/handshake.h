// The first frame on every peer connection: who is connecting, to which cluster, and where
// the sender serves Redis clients. Three versions are spoken (see docs/transport.md):
//   v1: magic "RKVP", version 1, sender node id (u64 BE), cluster id (the rest)
//   v2: magic "RKVP", version 2, sender node id (u64 BE),
//       cluster id length (u16 BE), cluster id, client address length (u16 BE), client address
//   v3: v2's layout (version 3) followed by a 32-byte nonce: the sender authenticates with
//       a cluster secret, and the challenge-response of net/peer_auth.h follows.
// encode_handshake() writes v1 when there is no client address and no nonce, so a node
// without one is understood by v1-only peers; decode_handshake() reads all three.
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
inline constexpr size_t kHandshakeNonceBytes = 32;
// Bound on the handshake frame, applied before the peer is known to be one of ours. Fits
// the largest valid v3 handshake (561 bytes).
inline constexpr uint32_t kMaxHandshakeFrameBytes = 1024;

struct Handshake {
  raft::NodeId node_id = raft::kNoNode;
  std::string cluster_id;
  // The sender's Redis client address ("host:port"); empty when not advertised (always
  // empty in a v1 handshake).
  std::string client_address;
  // Empty, or kHandshakeNonceBytes of randomness (v3): the sender will prove that it knows
  // the cluster secret, bound to this nonce and the receiver's.
  std::string nonce;

  bool operator==(const Handshake&) const = default;
};

// True for "" (nothing advertised) and for a host:port of at most kMaxClientAddressBytes
// printable, non-space ASCII characters that parse_peer_address() accepts.
bool valid_client_address(std::string_view address);

// v3 if h.nonce is set, else v1 if h.client_address is empty, v2 otherwise. Fields beyond their
// bounds produce a handshake that the receiver refuses.
std::string encode_handshake(const Handshake& h);

// Fails on a wrong magic or unknown version, node id 0, a cluster id over kMaxClusterIdBytes,
// in v2 and v3 on lengths that do not match the payload exactly or a client address that is
// not valid_client_address(), and in v3 on a nonce that is not kHandshakeNonceBytes long.
std::optional<Handshake> decode_handshake(std::string_view payload);

}  // namespace raftkv::net
