// Opens a listening TCP socket on an address given as host:port: the client port and the
// metrics port are set up the same way.
#pragma once

#include <asio.hpp>
#include <string>
#include <string_view>

#include "net/peer_address.h"

namespace raftkv::server {

// Resolves `address`, then opens, binds (SO_REUSEADDR: a restarted node can listen again
// while connections of its previous life linger) and listens on `acceptor`. Returns why
// not ("cannot resolve ..." / "cannot listen for <what> on ..."), or empty.
inline std::string open_listener(asio::ip::tcp::acceptor& acceptor, const net::PeerAddress& address,
                                 std::string_view what) {
  asio::error_code ec;
  asio::ip::tcp::resolver resolver(acceptor.get_executor());
  auto endpoints = resolver.resolve(address.host, std::to_string(address.port), ec);
  if (ec || endpoints.empty()) return "cannot resolve " + address.to_string() + ": " + ec.message();
  const asio::ip::tcp::endpoint ep = *endpoints.begin();
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return "cannot listen for " + std::string(what) + " on " + address.to_string() + ": " +
           ec.message();
  }
  return "";
}

}  // namespace raftkv::server
