#include "server/resp_call.h"

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <cstdlib>
#include <istream>
#include <memory>

namespace raftkv::server {

namespace {

ClientCredentials& credentials() {
  static ClientCredentials c;
  return c;
}

using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

asio::ip::tcp::socket& lowest(asio::ip::tcp::socket& s) {
  return s;
}
asio::ip::tcp::socket& lowest(TlsStream& s) {
  return s.next_layer();
}

// The exchange as a chain of asynchronous steps, so that io_context::run_for can bound
// it as a whole (Asio's blocking connect and read take no timeout). `Stream` is a plain
// socket or a TLS stream over one.
template <typename Stream>
struct Exchange : std::enable_shared_from_this<Exchange<Stream>> {
  template <typename... StreamArgs>
  Exchange(asio::io_context& io, std::string request, StreamArgs&&... args)
      : socket(io, std::forward<StreamArgs>(args)...), resolver(io), request(std::move(request)) {}

  void start(const net::PeerAddress& server) {
    resolver.async_resolve(
        server.host, std::to_string(server.port),
        [self = this->shared_from_this()](const asio::error_code& ec, const auto& endpoints) {
          if (ec) return self->fail(ec.message());
          asio::async_connect(lowest(self->socket), endpoints,
                              [self](const asio::error_code& ec, const auto&) {
                                if (ec) return self->fail(ec.message());
                                self->handshake();
                              });
        });
  }
  void handshake() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      socket.async_handshake(asio::ssl::stream_base::client,
                             [self = this->shared_from_this()](const asio::error_code& ec) {
                               if (ec) return self->fail("TLS handshake: " + ec.message());
                               self->send();
                             });
    } else {
      send();
    }
  }
  void send() {
    asio::async_write(socket, asio::buffer(request),
                      [self = this->shared_from_this()](const asio::error_code& ec, size_t) {
                        if (ec) return self->fail(ec.message());
                        self->read_line();
                      });
  }
  void read_line() {
    asio::async_read_until(socket, buf, "\r\n",
                           [self = this->shared_from_this()](const asio::error_code& ec, size_t) {
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
                     [self = this->shared_from_this(), len](const asio::error_code& ec, size_t) {
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

  Stream socket;
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

// The TLS context for --tls: verify the server against --cacert (the system's CAs
// without it), present --cert/--key when given.
asio::ssl::context tls_context(const ClientCredentials& c) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.set_options(asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  if (c.cacert.empty()) {
    ctx.set_default_verify_paths();
  } else {
    ctx.load_verify_file(c.cacert);
  }
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (!c.cert.empty()) ctx.use_certificate_chain_file(c.cert);
  if (!c.key.empty()) ctx.use_private_key_file(c.key, asio::ssl::context::pem);
  return ctx;
}

template <typename Stream, typename... StreamArgs>
std::optional<std::string> exchange_with(const net::PeerAddress& server, std::string request,
                                         bool auth, std::chrono::milliseconds timeout,
                                         std::string* error, StreamArgs&&... args) {
  asio::io_context io;
  auto exchange =
      std::make_shared<Exchange<Stream>>(io, std::move(request), std::forward<StreamArgs>(args)...);
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

}  // namespace

void set_client_credentials(ClientCredentials c) {
  credentials() = std::move(c);
}

std::optional<std::string> resp_call(const net::PeerAddress& server,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout, std::string* error) {
  const ClientCredentials& c = credentials();
  // The password, as redis-cli takes it from the environment (not argv, which ps shows).
  const char* env = std::getenv("REDISCLI_AUTH");
  const std::string password = !c.password.empty() ? c.password : env != nullptr ? env : "";
  const bool auth = !password.empty();
  std::string request;
  if (auth)
    request = encode_request(c.user.empty() ? std::vector<std::string>{"AUTH", password}
                                            : std::vector<std::string>{"AUTH", c.user, password});
  request += encode_request(args);
  if (!c.tls) {
    return exchange_with<asio::ip::tcp::socket>(server, std::move(request), auth, timeout, error);
  }
  try {
    asio::ssl::context ctx = tls_context(c);
    return exchange_with<TlsStream>(server, std::move(request), auth, timeout, error, ctx);
  } catch (const std::exception& e) {  // a certificate or key file that does not load
    *error = std::string("TLS setup: ") + e.what();
    return std::nullopt;
  }
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
