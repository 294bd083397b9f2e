#include "server/metrics_http.h"

#include <array>

#include "server/listener.h"

namespace raftkv::server {

// One client connection: reads bytes, parses them, answers each complete request in order
// (keep-alive, as Prometheus scrapes), closes on a parse error or when the client asks.
class HttpEndpoint::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::ip::tcp::socket socket, const Handler* handler)
      : socket_(std::move(socket)), handler_(handler) {}
  void start() { read(); }
  void close() {
    asio::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                              if (ec) return self->close();
                              self->pending_.append(self->buf_.data(), n);
                              self->parse();
                            });
  }

  void parse() {
    switch (parser_.feed(&pending_)) {
      case HttpRequestParser::Result::kNeedMore:
        return read();
      case HttpRequestParser::Result::kError:
        return respond({400, "text/plain; charset=utf-8", "bad request: " + parser_.error() + "\n"},
                       false, false);
      case HttpRequestParser::Result::kDone:
        break;
    }
    const HttpRequest& req = parser_.request();
    const bool head = req.method == "HEAD";
    if (req.method != "GET" && !head) {
      return respond({405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, req.keep_alive,
                     false);
    }
    respond((*handler_)(req.target), req.keep_alive, head);
  }

  void respond(const HttpResponse& response, bool keep_alive, bool head) {
    out_ = encode_http_response(response, keep_alive, head);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), keep_alive](const asio::error_code& ec, size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->parser_.reset();
                        self->parse();  // a pipelined request may be waiting already
                      });
  }

  asio::ip::tcp::socket socket_;
  const Handler* handler_;
  HttpRequestParser parser_;
  std::array<char, 4096> buf_{};
  std::string pending_;  // received, not yet parsed
  std::string out_;
};

HttpEndpoint::HttpEndpoint(asio::io_context& io, Handler handler)
    : io_(io), handler_(std::move(handler)), acceptor_(io) {}

HttpEndpoint::~HttpEndpoint() {
  close();
}

std::string HttpEndpoint::listen(const net::PeerAddress& address) {
  if (std::string err = open_listener(acceptor_, address, "metrics"); !err.empty()) return err;
  accept();
  return "";
}

uint16_t HttpEndpoint::port() const {
  asio::error_code ec;
  auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void HttpEndpoint::close() {
  asio::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : connections_) {
    if (auto c = weak.lock()) c->close();
  }
  connections_.clear();
}

void HttpEndpoint::accept() {
  acceptor_.async_accept([this](const asio::error_code& ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      std::erase_if(connections_, [](const auto& w) { return w.expired(); });
      if (connections_.size() >= kMaxConnections) {
        asio::error_code ignored;
        socket.close(ignored);
      } else {
        auto conn = std::make_shared<Connection>(std::move(socket), &handler_);
        connections_.push_back(conn);
        conn->start();
      }
    }
    accept();
  });
}

}  // namespace raftkv::server
