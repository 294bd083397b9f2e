// A TCP socket that may run TLS: one type for both, so that a connection is written once and
// its plaintext path pays a branch per I/O operation (not per byte, and no virtual calls).
// Not movable: the TLS layer holds a reference to the socket. One per connection: a TLS
// session cannot be restarted once it failed or ended.
#pragma once

#include <memory>
#include <utility>

#include <asio.hpp>
#include <asio/ssl.hpp>

namespace raftkv::net {

class MaybeTlsStream {
 public:
  using Tls = asio::ssl::stream<asio::ip::tcp::socket&>;

  // TLS when `tls` is given (it must outlive this object).
  explicit MaybeTlsStream(asio::ip::tcp::socket socket, asio::ssl::context* tls = nullptr)
      : socket_(std::move(socket)), tls_(tls ? std::make_unique<Tls>(socket_, *tls) : nullptr) {}
  MaybeTlsStream(const MaybeTlsStream&) = delete;
  MaybeTlsStream& operator=(const MaybeTlsStream&) = delete;

  asio::ip::tcp::socket& socket() { return socket_; }
  const asio::ip::tcp::socket& socket() const { return socket_; }
  // The TLS session (null on plain TCP), e.g. for the peer's certificate.
  Tls* tls() { return tls_.get(); }
  bool is_tls() const { return tls_ != nullptr; }

  // TLS: the handshake. Plain TCP: nothing to do, the handler is posted with no error.
  template <typename Handler>
  void async_handshake(asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (tls_) {
      tls_->async_handshake(type, std::forward<Handler>(handler));
    } else {
      asio::post(socket_.get_executor(),
                 [h = std::forward<Handler>(handler)]() mutable { h(asio::error_code()); });
    }
  }

  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      socket_.async_read_some(buffers, std::forward<Handler>(handler));
    }
  }

  // Writes all of `buffers` (asio::async_write).
  template <typename ConstBuffers, typename Handler>
  void async_write(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      asio::async_write(*tls_, buffers, std::forward<Handler>(handler));
    } else {
      asio::async_write(socket_, buffers, std::forward<Handler>(handler));
    }
  }

 private:
  asio::ip::tcp::socket socket_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace raftkv::net
