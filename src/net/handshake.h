// The first frame on every peer connection: who is connecting, to which cluster, and where
// the sender serves Redis clients and peers. Four versions are spoken (see docs/transport.md):
//   v1: magic "RKVP", version 1, sender node id (u64 BE), cluster id (the rest)
//   v2: magic "RKVP", version 2, sender node id (u64 BE),
//       cluster id length (u16 BE), cluster id, client address length (u16 BE), client address
//   v3: v2's layout (version 3) followed by a 32-byte nonce: the sender authenticates with
//       a cluster secret, and the challenge-response of net/peer_auth.h follows.
//   v4: v2's layout (version 4), then the sender's peer address (u16 BE length, address),
//       then nothing or v3's nonce. The receiver learns where to dial the sender back: a
//       node that never applied the entry naming a new leader can still answer it.
// encode_handshake() writes the lowest version that carries what is set, so a node that
// advertises nothing is understood by v1-only peers; decode_handshake() reads all four.
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
// the largest valid v4 handshake (819 bytes).
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
  // The sender's peer address ("host:port"), where it listens for peers; empty when not
  // advertised (always empty before v4).
  std::string peer_address;

  bool operator==(const Handshake&) const = default;
};

// True for "" (nothing advertised) and for a host:port of at most kMaxClientAddressBytes
// printable, non-space ASCII characters that parse_peer_address() accepts. The rule for
// both advertised addresses, the client one and the peer one.
bool valid_client_address(std::string_view address);

// v4 if h.peer_address is set, else v3 if h.nonce is set, else v1 if h.client_address is
// empty, v2 otherwise. Fields beyond their bounds produce a handshake that the receiver
// refuses.
std::string encode_handshake(const Handshake& h);

// Fails on a wrong magic or unknown version, node id 0, a cluster id over kMaxClusterIdBytes,
// in v2 and v3 on lengths that do not match the payload exactly or a client address that is
// not valid_client_address(), in v3 on a nonce that is not kHandshakeNonceBytes long, and in
// v4 on a peer address that is empty or not valid_client_address(), or a tail that is
// neither empty nor a nonce.
std::optional<Handshake> decode_handshake(std::string_view payload);

}  // namespace raftkv::net
