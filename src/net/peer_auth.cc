#include "net/peer_auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <utility>

#include "net/byte_order.h"
#include "net/handshake.h"

namespace raftkv::net {
namespace {

constexpr std::string_view kChallengeMagic = "RKVC";
constexpr std::string_view kResponseMagic = "RKVA";

std::string_view label(PeerRole role) {
  return role == PeerRole::kDialer ? "raftkv peer auth v1: dialer"
                                   : "raftkv peer auth v1: acceptor";
}

// One proof per secret, count-prefixed.
void append_proofs(const ClusterSecrets& secrets, PeerRole prover, std::string_view hello,
                   raft::NodeId acceptor, std::string_view acceptor_nonce, std::string* out) {
  out->push_back(static_cast<char>(secrets.size()));
  for (const std::string& secret : secrets) {
    *out += peer_proof(secret, prover, hello, acceptor, acceptor_nonce);
  }
}

// True if `proofs` (a count byte, then that many MACs, and nothing after) holds a proof made
// with any of `secrets`. Every pair is compared in constant time.
bool proofs_match(std::string_view proofs, const ClusterSecrets& secrets, PeerRole prover,
                  std::string_view hello, raft::NodeId acceptor, std::string_view acceptor_nonce) {
  if (proofs.empty()) return false;
  const size_t count = static_cast<uint8_t>(proofs[0]);
  proofs.remove_prefix(1);
  if (count == 0 || count > kMaxClusterSecrets || proofs.size() != count * kPeerMacBytes) {
    return false;
  }
  bool match = false;
  for (const std::string& secret : secrets) {
    const std::string expected = peer_proof(secret, prover, hello, acceptor, acceptor_nonce);
    for (size_t i = 0; i < count; ++i) {
      match |=
          CRYPTO_memcmp(expected.data(), proofs.data() + i * kPeerMacBytes, kPeerMacBytes) == 0;
    }
  }
  return match;
}

std::string trim(const std::string& line) {
  const size_t begin = line.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const size_t end = line.find_last_not_of(" \t\r");
  return line.substr(begin, end - begin + 1);
}

}  // namespace

std::string load_cluster_secrets(const std::string& path, ClusterSecrets* out) {
  std::ifstream in(path);
  if (!in) return "cannot read the cluster secret file " + path;
  ClusterSecrets secrets;
  std::string line;
  while (std::getline(in, line)) {
    std::string secret = trim(line);
    if (secret.empty() || secret[0] == '#') continue;
    if (secret.size() < kMinClusterSecretBytes) {
      return "a secret in " + path + " is shorter than " + std::to_string(kMinClusterSecretBytes) +
             " bytes";
    }
    secrets.push_back(std::move(secret));
  }
  if (secrets.empty()) return "the cluster secret file " + path + " holds no secret";
  if (secrets.size() > kMaxClusterSecrets) {
    return "the cluster secret file " + path + " holds more than " +
           std::to_string(kMaxClusterSecrets) + " secrets";
  }
  *out = std::move(secrets);
  return "";
}

std::string random_nonce() {
  std::string nonce(kHandshakeNonceBytes, '\0');
  // Failure means the CSPRNG is unusable: no connection could be authenticated safely, and
  // a predictable nonce would make recorded proofs replayable. Stop rather than go on.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(nonce.size())) !=
      1) {
    std::fputs("raftkv: OpenSSL RAND_bytes failed; cannot authenticate peers\n", stderr);
    std::abort();
  }
  return nonce;
}

std::string peer_proof(std::string_view secret, PeerRole prover, std::string_view hello_payload,
                       raft::NodeId acceptor, std::string_view acceptor_nonce) {
  std::string message(label(prover));
  append_big_endian(static_cast<uint32_t>(hello_payload.size()), &message);
  message += hello_payload;
  append_big_endian(static_cast<uint64_t>(acceptor), &message);
  message += acceptor_nonce;
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
       reinterpret_cast<unsigned char*>(mac.data()), &length);
  mac.resize(length);
  return mac;
}

AcceptorAuth::AcceptorAuth(const ClusterSecrets& secrets, raft::NodeId self,
                           std::string hello_payload)
    : secrets_(secrets), self_(self), hello_(std::move(hello_payload)), nonce_(random_nonce()) {
  challenge_ = kChallengeMagic;
  append_big_endian(static_cast<uint64_t>(self_), &challenge_);
  challenge_ += nonce_;
  append_proofs(secrets_, PeerRole::kAcceptor, hello_, self_, nonce_, &challenge_);
}

std::string AcceptorAuth::check_response(std::string_view response) const {
  if (!response.starts_with(kResponseMagic)) return "malformed authentication response";
  response.remove_prefix(kResponseMagic.size());
  if (!proofs_match(response, secrets_, PeerRole::kDialer, hello_, self_, nonce_)) {
    return "wrong cluster secret (its proof matches none of ours)";
  }
  return "";
}

DialerAuth::DialerAuth(const ClusterSecrets& secrets, raft::NodeId expected_peer,
                       std::string hello_payload)
    : secrets_(secrets), expected_peer_(expected_peer), hello_(std::move(hello_payload)) {}

std::string DialerAuth::answer(std::string_view challenge, std::string* response) const {
  constexpr size_t kFixed = kChallengeMagic.size() + sizeof(uint64_t) + kHandshakeNonceBytes;
  if (challenge.size() < kFixed || !challenge.starts_with(kChallengeMagic)) {
    return "malformed authentication challenge";
  }
  const raft::NodeId acceptor = load_big_endian<uint64_t>(challenge.substr(kChallengeMagic.size()));
  if (acceptor != expected_peer_) {
    return "it claims to be node " + std::to_string(acceptor);
  }
  const std::string_view nonce =
      challenge.substr(kFixed - kHandshakeNonceBytes, kHandshakeNonceBytes);
  if (!proofs_match(challenge.substr(kFixed), secrets_, PeerRole::kAcceptor, hello_, acceptor,
                    nonce)) {
    return "wrong cluster secret (its proof matches none of ours)";
  }
  *response = kResponseMagic;
  append_proofs(secrets_, PeerRole::kDialer, hello_, acceptor, nonce, response);
  return "";
}

}  // namespace raftkv::net
