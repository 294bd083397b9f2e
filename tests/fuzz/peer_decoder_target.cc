#include "net/frame.h"
#include "net/handshake.h"
#include "net/peer_auth.h"
#include "proto/codec.h"
#include "targets.h"

namespace raftkv::fuzz {

namespace {

// Whatever decodes must encode and decode back to the same value.
template <typename T>
void check_round_trip(std::string_view payload) {
  T value;
  if (!proto::decode(payload, &value)) return;
  T again;
  FUZZ_CHECK(proto::decode(proto::encode(value), &again));
  FUZZ_CHECK(again == value);
}

// The frame after a v3 handshake is an answer to a challenge, or (read by a dialer) a
// challenge. Without the secret neither can be forged: both must be refused.
void check_auth_frame(std::string_view hello, std::string_view payload) {
  const net::ClusterSecrets secrets{"fuzz-cluster-secret-0123456789"};
  net::AcceptorAuth acceptor(secrets, 1, std::string(hello));
  FUZZ_CHECK(!acceptor.check_response(payload).empty());
  std::string response;
  FUZZ_CHECK(!net::DialerAuth(secrets, 1, std::string(hello)).answer(payload, &response).empty());
}

}  // namespace

int peer_decoder(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The inbound connection's order: a handshake frame under its small limit, then
  // message frames under the large one. The first byte picks the read sizes.
  const size_t piece = 1 + data[0] % 64;
  const std::string_view input = as_chars(data + 1, size - 1);
  net::FrameReader reader(net::kMaxHandshakeFrameBytes);
  bool handshaken = false;
  std::string hello;  // a v3 handshake, until the frame after it
  for (size_t at = 0; at < input.size(); at += piece) {
    reader.append(input.substr(at, piece));
    std::string_view payload;
    net::FrameReader::Next next;
    while ((next = reader.next(&payload)) == net::FrameReader::Next::kFrame) {
      if (!handshaken) {
        auto h = net::decode_handshake(payload);
        if (!h) return 0;  // the connection is closed
        FUZZ_CHECK(net::decode_handshake(net::encode_handshake(*h)) == h);
        handshaken = true;
        if (!h->nonce.empty()) hello = payload;
        reader.set_max_frame_bytes(1 << 20);
        continue;
      }
      if (!hello.empty()) {
        check_auth_frame(hello, payload);
        hello.clear();  // then messages, as if it had passed, to reach the decoders
        continue;
      }
      check_round_trip<raft::Message>(payload);
      check_round_trip<raft::Entry>(payload);
      check_round_trip<raft::HardState>(payload);
      check_round_trip<raft::ConfState>(payload);
      check_round_trip<raft::Snapshot>(payload);
    }
    if (next == net::FrameReader::Next::kTooLarge) return 0;
    FUZZ_CHECK(reader.buffered_bytes() <= (1u << 20) + net::kFrameHeaderBytes + piece);
  }
  return 0;
}

}  // namespace raftkv::fuzz
