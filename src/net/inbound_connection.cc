#include "net/inbound_connection.h"

#include <utility>

#include "net/tls_context.h"
#include "proto/codec.h"

namespace raftkv::net {
namespace {

std::string describe_remote(const asio::ip::tcp::socket& socket) {
  asio::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

InboundConnection::InboundConnection(asio::ip::tcp::socket socket, raft::NodeId self,
                                     const TransportOptions& options,
                                     std::shared_ptr<InboundSink> sink)
    : stream_(std::move(socket), options.tls_server.get()),
      handshake_timer_(stream_.socket().get_executor()),
      self_(self),
      cluster_id_(options.cluster_id),
      max_frame_bytes_(options.max_frame_bytes),
      log_(options.logger),
      sink_(std::move(sink)),
      remote_(describe_remote(stream_.socket())),
      secrets_(options.cluster_secrets) {
  handshake_timer_.expires_after(options.handshake_timeout);
}

void InboundConnection::start() {
  asio::error_code ignored;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  handshake_timer_.async_wait([self = shared_from_this()](const std::error_code& ec) {
    if (ec || self->closed_ || self->peer_ != raft::kNoNode) return;
    self->refuse("no authenticated handshake in time");
  });
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const std::error_code& ec) {
                            if (self->closed_) return;
                            if (ec) return self->refuse("TLS handshake failed: " + ec.message());
                            self->read();
                          });
}

void InboundConnection::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  handshake_timer_.cancel();
  stream_.socket().close(ignored);
  sink_->on_closed(this);
}

void InboundConnection::refuse(const std::string& why) {
  log_->warn("net: refusing peer connection from {}: {}", remote_, why);
  sink_->on_refused();
  close();
}

void InboundConnection::read() {
  stream_.async_read_some(
      asio::buffer(read_buffer_), [self = shared_from_this()](const std::error_code& ec, size_t n) {
        if (self->closed_) return;
        if (ec) {
          if (self->hello_ && self->peer_ == raft::kNoNode) {
            // The dialer found our proof wrong and left.
            return self->refuse("node " + std::to_string(self->hello_->node_id) +
                                " hung up before answering our challenge (does it hold "
                                "another cluster secret?)");
          }
          if (self->peer_ != raft::kNoNode) {
            self->log_->info("net: connection from peer {} ({}) ended: {}", self->peer_,
                             self->remote_, ec.message());
          }
          return self->close();
        }
        self->reader_.append(std::string_view(self->read_buffer_.data(), n));
        if (self->process_frames()) self->read();
      });
}

bool InboundConnection::process_frames() {
  std::string_view payload;
  while (!closed_) {
    switch (reader_.next(&payload)) {
      case FrameReader::Next::kNeedMore:
        return true;
      case FrameReader::Next::kTooLarge:
        if (peer_ == raft::kNoNode) {
          refuse("handshake frame too large (not a raftkv peer?)");
        } else {
          log_->error("net: peer {} ({}) sent a frame over the {}-byte limit; closing", peer_,
                      remote_, max_frame_bytes_);
          sink_->on_protocol_error();
          close();
        }
        return false;
      case FrameReader::Next::kFrame:
        if (peer_ == raft::kNoNode) {
          if (!(hello_ ? accept_response(payload) : accept_handshake(payload))) return false;
        } else {
          handle_message(payload);
        }
        break;
    }
  }
  return false;
}

bool InboundConnection::accept_handshake(std::string_view payload) {
  const std::optional<Handshake> h = decode_handshake(payload);
  if (!h) {
    refuse("malformed handshake");
    return false;
  }
  if (std::string why = check_handshake(*h); !why.empty()) {
    refuse(why);
    return false;
  }
  if (secrets_.empty()) return open(*h);
  hello_ = *h;
  auth_.emplace(secrets_, self_, std::string(payload));
  send_challenge();
  return !closed_;
}

std::string InboundConnection::check_handshake(const Handshake& h) {
  const std::string node = "node " + std::to_string(h.node_id);
  if (h.cluster_id != cluster_id_) {
    return node + " belongs to cluster '" + h.cluster_id + "', not '" + cluster_id_ + "'";
  }
  if (h.node_id == self_) return "the handshake claims our own node id";
  // Checked before anything else is exchanged: a certificate is only as good as the name in
  // it, and any member's certificate passes the TLS handshake itself.
  if (stream_.is_tls() && !peer_certificate_names(stream_.tls()->native_handle(), h.node_id)) {
    return "the handshake claims " + node + ", but its certificate does not name " +
           member_certificate_name(h.node_id);
  }
  if (!secrets_.empty() && h.nonce.empty()) {
    return node + " offers no proof of the cluster secret (is --cluster-secret-file set there?)";
  }
  if (secrets_.empty() && !h.nonce.empty()) {
    return node + " authenticates with a cluster secret, but this node has none";
  }
  return "";
}

void InboundConnection::send_challenge() {
  challenge_frame_ = make_frame(auth_->challenge());
  stream_.async_write(asio::buffer(challenge_frame_),
                      [self = shared_from_this()](const std::error_code& ec, size_t) {
                        if (self->closed_ || !ec) return;
                        self->log_->info("net: peer connection from {} ended at the challenge: {}",
                                         self->remote_, ec.message());
                        self->close();
                      });
}

bool InboundConnection::accept_response(std::string_view payload) {
  if (std::string why = auth_->check_response(payload); !why.empty()) {
    refuse("node " + std::to_string(hello_->node_id) + ": " + why);
    return false;
  }
  return open(*hello_);
}

bool InboundConnection::open(const Handshake& h) {
  peer_ = h.node_id;
  if (!sink_->on_handshake(h, shared_from_this()) || closed_) {
    close();
    return false;
  }
  handshake_timer_.cancel();
  reader_.set_max_frame_bytes(max_frame_bytes_);
  log_->info("net: peer {} connected from {} (client address '{}'{}{})", peer_, remote_,
             h.client_address, stream_.is_tls() ? ", TLS" : "",
             auth_ ? ", proved the cluster secret" : "");
  return true;
}

void InboundConnection::handle_message(std::string_view payload) {
  raft::Message m;
  std::string problem;
  if (!proto::decode(payload, &m)) {
    problem = "undecodable message";
  } else if (m.from != peer_) {
    problem = "message claims to be from node " + std::to_string(m.from);
  } else if (m.to != self_) {
    problem = "message addressed to node " + std::to_string(m.to);
  }
  if (problem.empty()) {
    sink_->on_message(std::move(m), payload.size() + kFrameHeaderBytes);
    return;
  }
  if (!bad_message_logged_) {
    log_->warn(
        "net: dropping a message from peer {} ({}): {} ({} bytes); further drops on "
        "this connection are logged at debug level",
        peer_, remote_, problem, payload.size());
    bad_message_logged_ = true;
  } else {
    log_->debug("net: dropping a message from peer {}: {}", peer_, problem);
  }
  sink_->on_bad_message(peer_);
}

}  // namespace raftkv::net
