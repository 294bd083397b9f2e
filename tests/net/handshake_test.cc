// The handshake codec: v1 (no client address), v2, v3 (a nonce), v4 (the peer address), and
// hostile input.
#include "net/handshake.h"

#include <gtest/gtest.h>

#include "net/byte_order.h"
#include "net/frame.h"

namespace raftkv::net {
namespace {

// The fixed part every version shares: magic, version byte, node id.
std::string header(char version, uint64_t node_id) {
  std::string out = "RKVP";
  out.push_back(version);
  append_big_endian(node_id, &out);
  return out;
}

// A v2 payload built by hand, so that the lengths can lie.
std::string v2(uint64_t node_id, std::string_view cluster, std::string_view address,
               size_t cluster_length, size_t address_length) {
  std::string out = header(2, node_id);
  append_big_endian(static_cast<uint16_t>(cluster_length), &out);
  out += cluster;
  append_big_endian(static_cast<uint16_t>(address_length), &out);
  out += address;
  return out;
}

std::string v2(uint64_t node_id, std::string_view cluster, std::string_view address) {
  return v2(node_id, cluster, address, cluster.size(), address.size());
}

TEST(Handshake, RoundTrips) {
  const Handshake h{0x0102030405060708, "prod-cluster", "", "", ""};
  EXPECT_EQ(decode_handshake(encode_handshake(h)), h);
  EXPECT_EQ(decode_handshake(encode_handshake({7, "", "", "", ""})),
            (Handshake{7, "", "", "", ""}));
}

TEST(Handshake, RejectsBadInput) {
  std::string good = encode_handshake({3, "c", "", "", ""});
  EXPECT_FALSE(decode_handshake(""));
  EXPECT_FALSE(decode_handshake(good.substr(0, 8)));
  EXPECT_FALSE(decode_handshake("GET / HTTP/1.1\r\n\r\n"));
  EXPECT_FALSE(decode_handshake(encode_handshake({raft::kNoNode, "c", "", "", ""})));
  EXPECT_FALSE(decode_handshake(
      encode_handshake({3, std::string(kMaxClusterIdBytes + 1, 'x'), "", "", ""})));
  std::string wrong_version = good;
  wrong_version[4] = 9;
  EXPECT_FALSE(decode_handshake(wrong_version));
}

TEST(HandshakeVersions, WithoutAClientAddressTheEncodingIsVersion1) {
  const std::string legacy = header(1, 5) + "prod";  // what v1-only nodes send
  EXPECT_EQ(encode_handshake({5, "prod", "", "", ""}), legacy);
  EXPECT_EQ(decode_handshake(legacy), (Handshake{5, "prod", "", "", ""}));
}

TEST(HandshakeVersions, Version2CarriesTheClientAddress) {
  const Handshake h{0x0102030405060708, "prod", "127.0.0.1:6379", "", ""};
  const std::string encoded = encode_handshake(h);
  EXPECT_EQ(encoded, v2(h.node_id, "prod", "127.0.0.1:6379"));
  EXPECT_EQ(decode_handshake(encoded), h);
  EXPECT_EQ(decode_handshake(v2(3, "", "")), (Handshake{3, "", "", "", ""}));
  const Handshake v6{3, "c", "[::1]:7000", "", ""};
  EXPECT_EQ(decode_handshake(encode_handshake(v6)), v6);
}

TEST(HandshakeVersions, LargestValidHandshakeFitsTheFrameLimit) {
  const std::string address = std::string(kMaxClientAddressBytes - 5, 'h') + ":6379";
  const Handshake h{1, std::string(kMaxClusterIdBytes, 'c'), address,
                    std::string(kHandshakeNonceBytes, 'n'), address};
  const std::string encoded = encode_handshake(h);
  EXPECT_EQ(encoded.size(), 819u);  // the size docs/transport.md quotes
  EXPECT_LE(encoded.size(), kMaxHandshakeFrameBytes);
  EXPECT_EQ(decode_handshake(encoded), h);
}

TEST(HandshakeVersions, Version4CarriesThePeerAddressWithOrWithoutANonce) {
  const Handshake plain{6, "prod", "127.0.0.1:6379", "", "10.0.0.6:7000"};
  std::string expected = v2(6, "prod", "127.0.0.1:6379").replace(4, 1, 1, '\x04');
  append_big_endian(static_cast<uint16_t>(13), &expected);
  expected += "10.0.0.6:7000";
  EXPECT_EQ(encode_handshake(plain), expected);
  EXPECT_EQ(decode_handshake(expected), plain);
  Handshake authed = plain;
  authed.nonce = std::string(kHandshakeNonceBytes, '\x02');
  EXPECT_EQ(encode_handshake(authed), expected + authed.nonce);
  EXPECT_EQ(decode_handshake(expected + authed.nonce), authed);
  // No client address is fine; an empty or invalid peer address is not, nor is a tail that
  // is not a whole nonce.
  EXPECT_EQ(decode_handshake(encode_handshake({6, "prod", "", "", "h:1"})),
            (Handshake{6, "prod", "", "", "h:1"}));
  std::string empty_peer = v2(6, "prod", "").replace(4, 1, 1, '\x04');
  append_big_endian(static_cast<uint16_t>(0), &empty_peer);
  EXPECT_FALSE(decode_handshake(empty_peer));
  EXPECT_FALSE(decode_handshake(encode_handshake({6, "prod", "", "", "h:1\r\n"})));
  EXPECT_FALSE(decode_handshake(encode_handshake({6, "prod", "", "", "no-port"})));
  EXPECT_FALSE(decode_handshake(expected + "x"));
  EXPECT_FALSE(decode_handshake(expected + authed.nonce + "x"));
  for (size_t n = 0; n < expected.size(); ++n) {
    EXPECT_FALSE(decode_handshake(expected.substr(0, n))) << n;
  }
}

TEST(HandshakeVersions, Version3AddsANonceOfExactlyItsSize) {
  const Handshake h{4, "prod", "", std::string(kHandshakeNonceBytes, '\x01'), ""};
  const std::string encoded = encode_handshake(h);
  ASSERT_EQ(encoded[4], 3);
  EXPECT_EQ(encoded, v2(4, "prod", "").replace(4, 1, 1, '\x03') + h.nonce);
  EXPECT_EQ(decode_handshake(encoded), h);
  // One byte short or long is refused, as is a v2 payload followed by stray bytes.
  EXPECT_FALSE(decode_handshake(encoded.substr(0, encoded.size() - 1)));
  EXPECT_FALSE(decode_handshake(encoded + "x"));
  EXPECT_FALSE(decode_handshake(v2(4, "prod", "") + h.nonce));
}

TEST(HandshakeVersions, OversizedFieldsAreRejected) {
  const std::string too_long = std::string(kMaxClientAddressBytes - 4, 'h') + ":6379";
  ASSERT_EQ(too_long.size(), kMaxClientAddressBytes + 1);
  EXPECT_FALSE(valid_client_address(too_long));
  EXPECT_FALSE(decode_handshake(encode_handshake({1, "c", too_long, "", ""})));
  EXPECT_FALSE(decode_handshake(
      encode_handshake({1, std::string(kMaxClusterIdBytes + 1, 'c'), "127.0.0.1:6379", "", ""})));
  // A length near the u16 maximum, with or without the bytes behind it.
  EXPECT_FALSE(decode_handshake(v2(1, "c", "", 1, 0xffff)));
  EXPECT_FALSE(decode_handshake(v2(1, "c", std::string(0xffff, 'a'))));
}

TEST(HandshakeVersions, MalformedVersion2IsRejected) {
  const std::string good = encode_handshake({9, "cluster", "10.0.0.1:6379", "", ""});
  ASSERT_TRUE(decode_handshake(good));
  // Every truncation, and trailing bytes.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(decode_handshake(good.substr(0, n))) << n;
  }
  EXPECT_FALSE(decode_handshake(good + "x"));
  // Lengths that disagree with the bytes present.
  EXPECT_FALSE(decode_handshake(v2(9, "cluster", "10.0.0.1:6379", 8, 13)));
  EXPECT_FALSE(decode_handshake(v2(9, "cluster", "10.0.0.1:6379", 7, 12)));
  // Addresses that are not host:port, or could break a reply line.
  for (std::string_view bad : std::initializer_list<std::string_view>{
           "10.0.0.1", ":6379", "host:99999", "a b:1", "h:1\r\n+OK", std::string_view("h\0:1", 4),
           "h\x80:1"}) {
    EXPECT_FALSE(valid_client_address(bad)) << bad;
    EXPECT_FALSE(decode_handshake(v2(9, "cluster", bad))) << bad;
  }
  EXPECT_FALSE(decode_handshake(v2(0, "cluster", "h:1")));  // node id 0
  std::string v3 = good;
  v3[4] = 3;
  EXPECT_FALSE(decode_handshake(v3));
}

TEST(HandshakeVersions, NoSingleByteCorruptionCrashesTheDecoder) {
  const std::string good = encode_handshake({9, "cluster", "10.0.0.1:6379", "", ""});
  for (size_t i = 0; i < good.size(); ++i) {
    for (int value : {0x00, 0x01, 0x02, 0x7f, 0x80, 0xff}) {
      std::string corrupt = good;
      corrupt[i] = static_cast<char>(value);
      const std::optional<Handshake> h = decode_handshake(corrupt);
      if (h) {
        EXPECT_TRUE(valid_client_address(h->client_address));
      }
    }
  }
}

}  // namespace
}  // namespace raftkv::net
