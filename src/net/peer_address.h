// A peer's network address as given on the command line: "host:port" or "[v6-host]:port".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace raftkv::net {

struct PeerAddress {
  std::string host;   // a name or a literal IPv4/IPv6 address (without brackets)
  uint16_t port = 0;  // 0 only makes sense for listening (the kernel picks a port)

  bool operator==(const PeerAddress&) const = default;
  std::string to_string() const;
};

// Returns nothing for text that is not host:port with a non-empty host and a port in
// 0..65535. An IPv6 literal must be bracketed, since its colons would make the port ambiguous.
std::optional<PeerAddress> parse_peer_address(std::string_view text);

}  // namespace raftkv::net
