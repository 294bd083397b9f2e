#include "net/outbound_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <utility>

#include "net/tls_context.h"

namespace raftkv::net {
namespace {

// Without this, writes to a peer whose host vanished without a reset wait for TCP's own
// retransmission timeout (around 15 minutes) while our queue can only drop; with it the
// kernel fails the connection and we reconnect. Best effort: an error changes nothing.
void set_unacked_timeout(asio::ip::tcp::socket& socket, std::chrono::milliseconds timeout) {
#ifdef TCP_USER_TIMEOUT
  const unsigned int ms = static_cast<unsigned int>(timeout.count());
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof ms);
#else
  (void)socket;
  (void)timeout;
#endif
}

}  // namespace

OutboundConnection::OutboundConnection(asio::io_context& io, raft::NodeId self, raft::NodeId peer,
                                       PeerAddress address, const TransportOptions& options)
    : peer_(peer),
      address_(std::move(address)),
      log_(options.logger),
      self_(self),
      cluster_id_(options.cluster_id),
      advertised_client_address_(options.advertised_client_address),
      advertised_peer_address_(options.advertised_peer_address),
      secrets_(options.cluster_secrets),
      tls_(options.tls_client),
      resolver_(io),
      retry_timer_(io),
      backoff_(options.backoff_initial, options.backoff_max),
      unacked_timeout_(options.unacked_timeout),
      queue_(options.queue) {}

void OutboundConnection::start() {
  if (!closed_) resolve();
}

void OutboundConnection::close() {
  if (closed_) return;
  closed_ = true;
  state_ = ConnectionState::kClosed;
  ++generation_;
  asio::error_code ignored;
  resolver_.cancel();
  if (stream_) stream_->socket().close(ignored);
  retry_timer_.cancel();
  queue_.clear();
  in_flight_.clear();
}

void OutboundConnection::enqueue(Lane lane, std::string frame) {
  if (closed_ || !queue_.push(lane, std::move(frame))) {
    ++counters_.messages_dropped;
    if (!queue_full_logged_ && !closed_) {
      log_->warn("net: send queue to peer {} is full ({} messages, {} bytes); dropping", peer_,
                 queue_.frames(), queue_.bytes());
      queue_full_logged_ = true;
    }
    return;
  }
  write_next();
}

void OutboundConnection::resolve() {
  state_ = ConnectionState::kConnecting;
  stream_ =
      std::make_shared<MaybeTlsStream>(asio::ip::tcp::socket(resolver_.get_executor()), tls_.get());
  resolver_.async_resolve(
      address_.host, std::to_string(address_.port),
      [self = shared_from_this(), gen = generation_](
          const std::error_code& ec, const asio::ip::tcp::resolver::results_type& endpoints) {
        if (self->closed_ || gen != self->generation_) return;
        if (ec) return self->fail("cannot resolve", ec);
        self->connect(endpoints);
      });
}

void OutboundConnection::connect(const asio::ip::tcp::resolver::results_type& endpoints) {
  asio::async_connect(stream_->socket(), endpoints,
                      [self = shared_from_this(), gen = generation_, stream = stream_](
                          const std::error_code& ec, const asio::ip::tcp::endpoint&) {
                        if (self->closed_ || gen != self->generation_) return;
                        if (ec) return self->fail("cannot connect", ec);
                        self->on_connected();
                      });
}

void OutboundConnection::on_connected() {
  asio::error_code ignored;
  asio::ip::tcp::socket& socket = stream_->socket();
  // Raft messages are small and latency-bound; batching is done by us, not by Nagle.
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  set_unacked_timeout(socket, unacked_timeout_);
  stream_->async_handshake(asio::ssl::stream_base::client, [self = shared_from_this(),
                                                            gen = generation_, stream = stream_](
                                                               const std::error_code& ec) {
    if (self->closed_ || gen != self->generation_) return;
    if (ec) return self->fail("TLS handshake failed with", ec);
    if (stream->is_tls() && !peer_certificate_names(stream->tls()->native_handle(), self->peer_)) {
      self->log_->warn("net: refusing peer {} at {}: its certificate does not name {}", self->peer_,
                       self->address_.to_string(), member_certificate_name(self->peer_));
      return self->fail("certificate check failed for",
                        std::make_error_code(std::errc::permission_denied));
    }
    self->authenticate();
  });
}

void OutboundConnection::authenticate() {
  Handshake hello{self_, cluster_id_, advertised_client_address_, "", advertised_peer_address_};
  if (secrets_.empty()) {
    preamble_ = make_frame(encode_handshake(hello));
    return mark_connected();
  }
  hello.nonce = random_nonce();
  std::string payload = encode_handshake(hello);
  auto frame = std::make_shared<std::string>(make_frame(payload));
  auth_.emplace(secrets_, peer_, std::move(payload));
  challenge_reader_ = FrameReader(kMaxHandshakeFrameBytes);
  stream_->async_write(asio::buffer(*frame),
                       [self = shared_from_this(), gen = generation_, stream = stream_, frame](
                           const std::error_code& ec, size_t) {
                         if (self->closed_ || gen != self->generation_) return;
                         if (ec) return self->fail("write failed", ec);
                       });
  read_challenge();
}

void OutboundConnection::read_challenge() {
  stream_->async_read_some(
      asio::buffer(challenge_buffer_), [self = shared_from_this(), gen = generation_,
                                        stream = stream_](const std::error_code& ec, size_t n) {
        if (self->closed_ || gen != self->generation_) return;
        if (ec) return self->fail("no authentication challenge from", ec);
        self->challenge_reader_.append(std::string_view(self->challenge_buffer_.data(), n));
        std::string_view payload;
        switch (self->challenge_reader_.next(&payload)) {
          case FrameReader::Next::kNeedMore:
            return self->read_challenge();
          case FrameReader::Next::kTooLarge:
            return self->fail("oversized challenge from",
                              std::make_error_code(std::errc::protocol_error));
          case FrameReader::Next::kFrame:
            return self->on_challenge(payload);
        }
      });
}

void OutboundConnection::on_challenge(std::string_view payload) {
  std::string response;
  std::string why = auth_->answer(payload, &response);
  if (why.empty() && challenge_reader_.buffered_bytes() != 0) why = "it sent more than a challenge";
  if (!why.empty()) {
    log_->warn("net: refusing peer {} at {}: {}", peer_, address_.to_string(), why);
    return fail("authentication failed with", std::make_error_code(std::errc::permission_denied));
  }
  preamble_ = make_frame(response);
  mark_connected();
}

void OutboundConnection::mark_connected() {
  state_ = ConnectionState::kConnected;
  connected_at_ = Clock::now();
  ++counters_.connects;
  if (!reported_up_) {
    log_->info("net: connected to peer {} at {}", peer_, address_.to_string());
    reported_up_ = true;
  } else {
    log_->debug("net: reconnected to peer {} at {}", peer_, address_.to_string());
  }
  handshake_pending_ = true;
  watch_for_hangup();
  write_next();
}

void OutboundConnection::watch_for_hangup() {
  stream_->async_read_some(
      asio::buffer(&hangup_byte_, 1), [self = shared_from_this(), gen = generation_,
                                       stream = stream_](const std::error_code& ec, size_t) {
        if (self->closed_ || gen != self->generation_) return;
        // The peer never writes on this connection once it is open, so anything that
        // completes is a hang-up (or a peer speaking some other protocol).
        self->fail("connection lost", ec ? ec : std::make_error_code(std::errc::protocol_error));
      });
}

void OutboundConnection::write_next() {
  if (state_ != ConnectionState::kConnected || writing_) return;
  if (queue_.empty() && !handshake_pending_) {
    queue_full_logged_ = false;
    return;
  }
  in_flight_.clear();
  queue_.take_batch(&in_flight_);

  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size() + 1);
  const bool with_handshake = std::exchange(handshake_pending_, false);
  if (with_handshake) buffers.push_back(asio::buffer(preamble_));
  for (const std::string& frame : in_flight_) buffers.push_back(asio::buffer(frame));

  writing_ = true;
  stream_->async_write(buffers, [self = shared_from_this(), gen = generation_, stream = stream_,
                                 with_handshake](const std::error_code& ec, size_t bytes) {
    if (self->closed_ || gen != self->generation_) return;
    self->writing_ = false;
    if (ec) return self->fail("write failed", ec);
    if (with_handshake) bytes -= self->preamble_.size();
    self->counters_.messages_sent += self->in_flight_.size();
    self->counters_.bytes_sent += bytes;
    self->in_flight_.clear();
    self->write_next();
  });
}

void OutboundConnection::fail(const std::string& what, const std::error_code& ec) {
  const bool was_healthy =
      state_ == ConnectionState::kConnected && Clock::now() - connected_at_ >= backoff_.max();
  if (was_healthy) {
    consecutive_failures_ = 0;
    backoff_.reset();
  }
  const auto delay = backoff_.next();
  if (consecutive_failures_ == 0) {
    log_->warn("net: {} peer {} at {}: {}; retrying with backoff", what, peer_,
               address_.to_string(), ec.message());
    reported_up_ = false;
  } else {
    log_->debug("net: {} peer {} at {}: {}; retry in {} ms", what, peer_, address_.to_string(),
                ec.message(), delay.count());
  }
  ++consecutive_failures_;

  ++generation_;
  asio::error_code ignored;
  stream_->socket().close(ignored);
  auth_.reset();
  counters_.messages_dropped += in_flight_.size();
  in_flight_.clear();
  writing_ = false;
  handshake_pending_ = false;
  state_ = ConnectionState::kBackoff;

  retry_timer_.expires_after(delay);
  retry_timer_.async_wait(
      [self = shared_from_this(), gen = generation_](const std::error_code& ec) {
        if (ec || self->closed_ || gen != self->generation_) return;
        self->resolve();
      });
}

}  // namespace raftkv::net
