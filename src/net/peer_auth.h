// Proof that both ends of a peer connection know the cluster secret, without sending it.
//
// The dialer's v3 handshake (net/handshake.h) carries its nonce. The acceptor answers with
// a challenge: its node id, its own nonce and its proof; the dialer checks that proof and
// answers with its own. Each proof is HMAC-SHA256, keyed by a secret, over a label naming
// the prover's role, the dialer's handshake exactly as sent (its node id, cluster id,
// client address and nonce), the acceptor's node id and the acceptor's nonce:
//   - fresh nonces on both sides make a recorded proof useless on another connection;
//   - the claimed node ids are inside the MAC, so a proof made for one id does not vouch
//     for another;
//   - the role label keeps a side from reflecting the other's proof back at it.
// A node may hold several secrets (during a roll: the new one and the old one). It sends one
// proof per secret, and accepts a proof made with any of its own, so two nodes that share at
// least one secret authenticate each other (docs/security.md, "Rolling the cluster secret").
//
// Payloads (each in one frame, net/frame.h):
//   challenge: "RKVC", acceptor id (u64 BE), nonce (32 bytes), count (u8), count x 32-byte MAC
//   response:  "RKVA", count (u8), count x 32-byte MAC
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "raft/types.h"

namespace raftkv::net {

inline constexpr size_t kPeerMacBytes = 32;
inline constexpr size_t kMaxClusterSecrets = 4;
// Shorter secrets are refused: a guessable secret authenticates nobody.
inline constexpr size_t kMinClusterSecretBytes = 16;

// The secrets this node proves itself with and accepts; empty: peers are not
// authenticated by secret.
using ClusterSecrets = std::vector<std::string>;

// Reads a secrets file: one secret per line (surrounding whitespace trimmed), blank lines
// and lines starting with '#' ignored; 1 to kMaxClusterSecrets secrets of at least
// kMinClusterSecretBytes each. Returns why not, or empty.
std::string load_cluster_secrets(const std::string& path, ClusterSecrets* out);

// kHandshakeNonceBytes from OpenSSL's CSPRNG.
std::string random_nonce();

enum class PeerRole { kDialer, kAcceptor };

// HMAC-SHA256(secret, label(role) | u32 len | hello | acceptor id | acceptor nonce).
std::string peer_proof(std::string_view secret, PeerRole prover, std::string_view hello_payload,
                       raft::NodeId acceptor, std::string_view acceptor_nonce);

// The acceptor's side, once it has a decoded v3 handshake from a dialer of its cluster.
class AcceptorAuth {
 public:
  // `secrets` must not be empty.
  AcceptorAuth(const ClusterSecrets& secrets, raft::NodeId self, std::string hello_payload);
  // The challenge payload to send (fixed for this object: its nonce is drawn once).
  const std::string& challenge() const { return challenge_; }
  // Empty if `response` proves knowledge of one of our secrets; otherwise why not.
  std::string check_response(std::string_view response) const;

 private:
  const ClusterSecrets secrets_;
  const raft::NodeId self_;
  const std::string hello_;
  const std::string nonce_;
  std::string challenge_;
};

// The dialer's side: `hello_payload` is the v3 handshake it sent, `expected_peer` the member
// it meant to reach.
class DialerAuth {
 public:
  DialerAuth(const ClusterSecrets& secrets, raft::NodeId expected_peer, std::string hello_payload);
  // On success returns empty and sets *response to the payload to send back; otherwise why
  // the challenge is refused (a wrong id, no proof made with a secret we hold, garbage).
  std::string answer(std::string_view challenge, std::string* response) const;

 private:
  const ClusterSecrets secrets_;
  const raft::NodeId expected_peer_;
  const std::string hello_;
};

}  // namespace raftkv::net
