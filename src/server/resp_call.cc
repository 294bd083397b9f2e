#include "server/resp_call.h"

#include <asio.hpp>
#include <cstdlib>
#include <istream>
#include <memory>

namespace raftkv::server {

namespace {

// The exchange as a chain of asynchronous steps, so that io_context::run_for can bound
// it as a whole (Asio's blocking connect and read take no timeout).
struct Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(asio::io_context& io, std::string request)
      : socket(io), resolver(io), request(std::move(request)) {}

  void start(const net::PeerAddress& server) {
    resolver.async_resolve(
        server.host, std::to_string(server.port),
        [self = shared_from_this()](const asio::error_code& ec, const auto& endpoints) {
          if (ec) return self->fail(ec.message());
          asio::async_connect(self->socket, endpoints,
                              [self](const asio::error_code& ec, const auto&) {
                                if (ec) return self->fail(ec.message());
                                self->send();
                              });
        });
  }
  void send() {
    asio::async_write(socket, asio::buffer(request),
                      [self = shared_from_this()](const asio::error_code& ec, size_t) {
                        if (ec) return self->fail(ec.message());
                        self->read_line();
                      });
  }
  void read_line() {
    asio::async_read_until(socket, buf, "\r\n",
                           [self = shared_from_this()](const asio::error_code& ec, size_t) {
                             if (ec) return self->fail(ec.message());
                             self->on_line();
                           });
  }
  void on_line() {
    std::istream in(&buf);
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) return fail("empty reply");
    const char type = line[0];
    std::string rest = line.substr(1);
    if (auth_pending) {  // AUTH's +OK comes first; an error (WRONGPASS) is the answer
      auth_pending = false;
      if (type == '-') return done("-" + rest);
      return read_line();
    }
    if (type == '+' || type == ':') return done(rest);
    if (type == '-') return done("-" + rest);
    if (type != '$') return fail("unexpected reply type '" + std::string(1, type) + "'");
    const long len = std::stol(rest);
    if (len < 0) return done("");
    const size_t need = static_cast<size_t>(len) + 2;  // the bulk string and its CRLF
    const size_t have = buf.size();
    asio::async_read(socket, buf, asio::transfer_exactly(need > have ? need - have : 0),
                     [self = shared_from_this(), len](const asio::error_code& ec, size_t) {
                       if (ec) return self->fail(ec.message());
                       std::string body(static_cast<size_t>(len), '\0');
                       std::istream(&self->buf).read(body.data(), len);
                       self->done(std::move(body));
                     });
  }
  void fail(std::string why) {
    error = std::move(why);
    finished = true;
  }
  void done(std::string reply) {
    result = std::move(reply);
    finished = true;
  }

  asio::ip::tcp::socket socket;
  asio::ip::tcp::resolver resolver;
  std::string request;
  asio::streambuf buf;
  bool auth_pending = false;  // the request starts with AUTH
  bool finished = false;
  std::optional<std::string> result;
  std::string error;
};

std::string encode_request(const std::vector<std::string>& args) {
  std::string request = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) request += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return request;
}

}  // namespace

std::optional<std::string> resp_call(const net::PeerAddress& server,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout, std::string* error) {
  // The password, as redis-cli takes it from the environment (not argv, which ps shows).
  const char* password = std::getenv("REDISCLI_AUTH");
  const bool auth = password != nullptr && *password != '\0';
  std::string request = auth ? encode_request({"AUTH", password}) : std::string();
  request += encode_request(args);
  asio::io_context io;
  auto exchange = std::make_shared<Exchange>(io, std::move(request));
  exchange->auth_pending = auth;
  try {
    exchange->start(server);
    io.run_for(timeout);
  } catch (const std::exception& e) {  // std::stol on a malformed length
    exchange->fail(e.what());
  }
  if (!exchange->finished)
    exchange->fail("no reply within " + std::to_string(timeout.count()) + " ms");
  if (!exchange->result) *error = "cannot talk to " + server.to_string() + ": " + exchange->error;
  return exchange->result;
}

std::optional<std::string> resp_call_leader(net::PeerAddress server,
                                            const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout, std::string* error) {
  for (int hop = 0; hop < 5; ++hop) {
    auto reply = resp_call(server, args, timeout, error);
    if (!reply || reply->rfind("-MOVED ", 0) != 0) return reply;
    auto next = net::parse_peer_address(reply->substr(reply->rfind(' ') + 1));
    if (!next) return reply;
    server = *next;
  }
  *error = "could not reach the leader";
  return std::nullopt;
}

}  // namespace raftkv::server
