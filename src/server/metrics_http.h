// A small HTTP/1.1 listener for /metrics, /health and /ready, on the server's own event
// loop (no thread of its own: a scrape reads the node's state where it lives). Sockets are
// standalone Asio, as everywhere in the server; requests are parsed and responses written
// by Boost.Beast (http_codec.h), fed by hand since Beast's own stream operations need
// Boost.Asio's io_context.
#pragma once

#include <asio.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "net/peer_address.h"
#include "server/http_codec.h"

namespace raftkv::server {

class HttpEndpoint {
 public:
  // Answers a GET or HEAD of `target` (the path, query included); called on the io thread.
  using Handler = std::function<HttpResponse(const std::string& target)>;

  HttpEndpoint(asio::io_context& io, Handler handler);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Starts listening; empty, or why it cannot.
  std::string listen(const net::PeerAddress& address);
  // Stops accepting and closes open connections.
  void close();
  // The bound port (after listen: useful with port 0).
  uint16_t port() const;

  // At most this many connections at once; more are closed at accept (a scraper needs one).
  static constexpr size_t kMaxConnections = 32;

 private:
  class Connection;
  void accept();

  asio::io_context& io_;
  Handler handler_;
  asio::ip::tcp::acceptor acceptor_;
  std::vector<std::weak_ptr<Connection>> connections_;
};

}  // namespace raftkv::server
