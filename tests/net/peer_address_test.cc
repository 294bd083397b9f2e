#include "net/peer_address.h"

#include <gtest/gtest.h>

namespace raftkv::net {
namespace {

TEST(PeerAddress, ParsesHostAndPort) {
  EXPECT_EQ(parse_peer_address("127.0.0.1:7001"), (PeerAddress{"127.0.0.1", 7001}));
  EXPECT_EQ(parse_peer_address("node-a.example:1"), (PeerAddress{"node-a.example", 1}));
  EXPECT_EQ(parse_peer_address("[::1]:65535"), (PeerAddress{"::1", 65535}));
  EXPECT_EQ(parse_peer_address("localhost:0"), (PeerAddress{"localhost", 0}));
}

TEST(PeerAddress, RejectsMalformedText) {
  for (const char* text : {"", "host", ":7001", "host:", "host:65536", "host:-1", "host:12a",
                           "::1:7001", "[::1]7001", "[::1]:", "[::1", "host:123456"}) {
    EXPECT_FALSE(parse_peer_address(text)) << text;
  }
}

TEST(PeerAddress, PrintsInParseableForm) {
  for (const PeerAddress& a : {PeerAddress{"10.0.0.2", 80}, PeerAddress{"fe80::1", 9}}) {
    EXPECT_EQ(parse_peer_address(a.to_string()), a);
  }
}

}  // namespace
}  // namespace raftkv::net
