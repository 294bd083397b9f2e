#include "net/handshake.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "net/byte_order.h"
#include "net/peer_address.h"

namespace raftkv::net {
namespace {

constexpr std::string_view kMagic = "RKVP";
constexpr char kVersion1 = 1;  // no client address
constexpr char kVersion2 = 2;  // length-prefixed cluster id and client address
constexpr char kVersion3 = 3;  // v2 and a nonce: the sender authenticates (net/peer_auth.h)
constexpr char kVersion4 = 4;  // v2, the peer address, and an optional nonce
constexpr size_t kFixedBytes = kMagic.size() + 1 + sizeof(uint64_t);

static_assert(kFixedBytes + 3 * sizeof(uint16_t) + kMaxClusterIdBytes + 2 * kMaxClientAddressBytes +
                  kHandshakeNonceBytes <=
              kMaxHandshakeFrameBytes);

void append_field(std::string_view field, std::string* out) {
  append_big_endian(static_cast<uint16_t>(field.size()), out);
  out->append(field);
}

// Takes a u16-length-prefixed field of at most `max` bytes off the front of *rest.
std::optional<std::string> take_field(std::string_view* rest, size_t max) {
  if (rest->size() < sizeof(uint16_t)) return std::nullopt;
  const size_t length = load_big_endian<uint16_t>(*rest);
  rest->remove_prefix(sizeof(uint16_t));
  if (length > max || length > rest->size()) return std::nullopt;
  std::string field(rest->substr(0, length));
  rest->remove_prefix(length);
  return field;
}

}  // namespace

bool valid_client_address(std::string_view address) {
  if (address.empty()) return true;
  // The address ends up in CLUSTER replies to clients, so nothing that could break a line.
  const bool printable =
      std::all_of(address.begin(), address.end(), [](char c) { return c > ' ' && c < 0x7f; });
  return printable && address.size() <= kMaxClientAddressBytes &&
         parse_peer_address(address).has_value();
}

std::string encode_handshake(const Handshake& h) {
  const bool v4 = !h.peer_address.empty();
  const bool v3 = !v4 && !h.nonce.empty();
  const bool v2 = !v4 && !v3 && !h.client_address.empty();
  std::string out(kMagic);
  out.push_back(v4 ? kVersion4 : v3 ? kVersion3 : v2 ? kVersion2 : kVersion1);
  append_big_endian(static_cast<uint64_t>(h.node_id), &out);
  if (v2 || v3 || v4) {
    append_field(h.cluster_id, &out);
    append_field(h.client_address, &out);
    if (v4) append_field(h.peer_address, &out);
    out += h.nonce;
  } else {
    out += h.cluster_id;
  }
  return out;
}

std::optional<Handshake> decode_handshake(std::string_view payload) {
  if (payload.size() < kFixedBytes || !payload.starts_with(kMagic)) return std::nullopt;
  const char version = payload[kMagic.size()];
  Handshake h;
  h.node_id = load_big_endian<uint64_t>(payload.substr(kMagic.size() + 1));
  std::string_view rest = payload.substr(kFixedBytes);
  if (version == kVersion1) {
    h.cluster_id = std::string(rest);
  } else if (version == kVersion2 || version == kVersion3 || version == kVersion4) {
    std::optional<std::string> cluster_id = take_field(&rest, kMaxClusterIdBytes);
    if (!cluster_id) return std::nullopt;
    std::optional<std::string> client_address = take_field(&rest, kMaxClientAddressBytes);
    if (!client_address || !valid_client_address(*client_address)) return std::nullopt;
    if (version == kVersion4) {
      std::optional<std::string> peer = take_field(&rest, kMaxClientAddressBytes);
      if (!peer || peer->empty() || !valid_client_address(*peer)) return std::nullopt;
      h.peer_address = std::move(*peer);
    }
    // v3 always has a nonce; v4 has one or nothing.
    if (version == kVersion3 || (version == kVersion4 && !rest.empty())) {
      if (rest.size() != kHandshakeNonceBytes) return std::nullopt;
      h.nonce = std::string(rest);
      rest = {};
    }
    if (!rest.empty()) return std::nullopt;
    h.cluster_id = std::move(*cluster_id);
    h.client_address = std::move(*client_address);
  } else {
    return std::nullopt;
  }
  if (h.node_id == raft::kNoNode || h.cluster_id.size() > kMaxClusterIdBytes) return std::nullopt;
  return h;
}

}  // namespace raftkv::net
