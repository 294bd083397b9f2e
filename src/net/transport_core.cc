#include "net/transport_core.h"

#include <exception>
#include <utility>

#include <spdlog/spdlog.h>

#include "net/frame.h"
#include "net/handshake.h"
#include "proto/codec.h"

namespace raftkv::net {
namespace {

TransportOptions with_logger(TransportOptions options) {
  if (!options.logger) options.logger = spdlog::default_logger();
  return options;
}

// After a failed accept (for example out of file descriptors) wait before retrying, rather
// than spin.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

}  // namespace

const char* to_string(ConnectionState s) {
  switch (s) {
    case ConnectionState::kConnecting:
      return "connecting";
    case ConnectionState::kConnected:
      return "connected";
    case ConnectionState::kBackoff:
      return "backoff";
    case ConnectionState::kClosed:
      return "closed";
  }
  return "unknown";
}

TransportCore::TransportCore(asio::io_context& io, raft::NodeId self,
                             std::map<raft::NodeId, PeerAddress> peers, MessageHandler on_message,
                             TransportOptions options)
    : io_(io),
      self_(self),
      options_(with_logger(std::move(options))),
      handler_(std::move(on_message)),
      log_(options_.logger),
      acceptor_(io),
      accept_retry_timer_(io),
      addresses_(std::move(peers)) {
  for (const auto& [id, address] : addresses_) {
    if (id != self_) outbound_.emplace(id, make_outbound(id, address));
  }
}

std::shared_ptr<OutboundConnection> TransportCore::make_outbound(raft::NodeId id,
                                                                 PeerAddress address) {
  return std::make_shared<OutboundConnection>(io_, self_, id, std::move(address), options_);
}

std::error_code TransportCore::start() {
  if (started_ || closed_) return std::make_error_code(std::errc::operation_not_permitted);
  if (!valid_client_address(options_.advertised_client_address)) {
    log_->error("net: invalid advertised client address '{}'", options_.advertised_client_address);
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!valid_client_address(options_.advertised_peer_address)) {
    log_->error("net: invalid advertised peer address '{}'", options_.advertised_peer_address);
    return std::make_error_code(std::errc::invalid_argument);
  }
  if (!options_.tls_server != !options_.tls_client) {
    log_->error("net: peer TLS needs both a server and a client context");
    return std::make_error_code(std::errc::invalid_argument);
  }
  std::optional<PeerAddress> listen = options_.listen_address;
  if (!listen) {
    const auto own = addresses_.find(self_);
    if (own == addresses_.end()) return std::make_error_code(std::errc::invalid_argument);
    listen = own->second;
  }

  std::error_code ec;
  asio::ip::tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(listen->host, std::to_string(listen->port),
                                          asio::ip::tcp::resolver::passive, ec);
  if (ec) return ec;
  if (endpoints.empty()) return std::make_error_code(std::errc::address_not_available);
  const asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  // Lets a restarted node listen again while connections of its previous life linger.
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    asio::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }

  started_ = true;
  if (options_.cluster_secrets.empty() && !options_.tls_server) {
    log_->warn(
        "net: peers are not authenticated (no --cluster-secret-file, no peer TLS): "
        "anyone who reaches the peer port can send Raft messages");
  }
  log_->info("net: node {} listening for peers on {} ({} peers)", self_,
             PeerAddress{listen->host, listen_port()}.to_string(), outbound_.size());
  accept();
  for (auto& [id, conn] : outbound_) conn->start();
  return {};
}

uint16_t TransportCore::listen_port() const {
  asio::error_code ec;
  const auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void TransportCore::shutdown() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_timer_.cancel();
  for (auto& [id, conn] : outbound_) conn->close();
  // Closing an inbound connection unregisters it, so close from a copy.
  std::vector<std::shared_ptr<InboundConnection>> inbound;
  for (auto& [ptr, weak] : inbound_) {
    if (auto conn = weak.lock()) inbound.push_back(std::move(conn));
  }
  for (auto& conn : inbound) conn->close();
  if (started_) log_->info("net: node {} transport stopped", self_);
}

void TransportCore::accept() {
  acceptor_.async_accept([self = shared_from_this()](const std::error_code& ec,
                                                     asio::ip::tcp::socket socket) {
    if (self->closed_) return;
    if (ec) {
      self->log_->warn("net: accepting a peer connection failed: {}", ec.message());
      self->accept_retry_timer_.expires_after(kAcceptRetryDelay);
      self->accept_retry_timer_.async_wait([self](const std::error_code& timer_ec) {
        if (!timer_ec && !self->closed_) self->accept();
      });
      return;
    }
    if (self->inbound_.size() >= self->options_.max_inbound_connections) {
      self->log_->warn("net: refusing a peer connection: {} inbound connections already open",
                       self->inbound_.size());
      ++self->rejected_connections_;
      asio::error_code ignored;
      socket.close(ignored);
    } else {
      auto conn =
          std::make_shared<InboundConnection>(std::move(socket), self->self_, self->options_, self);
      self->inbound_.emplace(conn.get(), conn);
      conn->start();
    }
    self->accept();
  });
}

void TransportCore::send(raft::Message m) {
  if (closed_) return;
  const auto it = outbound_.find(m.to);
  if (it == outbound_.end()) {
    ++unroutable_messages_;
    log_->debug("net: no route for a {} message to node {}", raft::to_string(m.type), m.to);
    return;
  }
  // Encoded straight into the frame: no separate payload buffer to copy from.
  std::string frame;
  const size_t payload_bytes =
      build_frame(&frame, [&m](std::string* out) { proto::encode_to(m, out); });
  if (payload_bytes > options_.max_frame_bytes) {
    it->second->count_drop();
    log_->error("net: dropping a {} message to peer {}: {} bytes exceed the {}-byte frame limit",
                raft::to_string(m.type), m.to, payload_bytes, options_.max_frame_bytes);
    return;
  }
  if (m.type == raft::MessageType::kApp && it->second->state() != ConnectionState::kConnected &&
      unreachable_handler_) {
    asio::post(io_, [handler = unreachable_handler_, peer = m.to] { handler(peer); });
  }
  it->second->enqueue(lane_for(m.type), std::move(frame));
}

void TransportCore::set_peer(raft::NodeId id, PeerAddress address) {
  if (closed_) return;
  const auto known = addresses_.find(id);
  if (known != addresses_.end() && known->second == address) return;
  addresses_[id] = address;
  if (id == self_) return;
  if (auto old = outbound_.find(id); old != outbound_.end()) old->second->close();
  auto conn = make_outbound(id, address);
  outbound_[id] = conn;
  log_->info("net: peer {} is at {}", id, address.to_string());
  if (started_) conn->start();
}

void TransportCore::remove_peer(raft::NodeId id) {
  addresses_.erase(id);
  const auto it = outbound_.find(id);
  if (it == outbound_.end()) return;
  it->second->close();
  outbound_.erase(it);
  log_->info("net: peer {} removed", id);
}

TransportStats TransportCore::stats() const {
  TransportStats out;
  out.unroutable_messages = unroutable_messages_;
  out.rejected_connections = rejected_connections_;
  out.protocol_errors = protocol_errors_;

  std::map<raft::NodeId, PeerStats> peers;
  for (const auto& [id, conn] : outbound_) {
    PeerStats& p = peers[id];
    p.address = conn->address().to_string();
    p.state = conn->state();
    p.sent = conn->counters();
    p.queued_messages = conn->queue().frames();
    p.queued_bytes = conn->queue().bytes();
  }
  for (const auto& [id, counters] : received_) {
    PeerStats& p = peers[id];
    if (!outbound_.contains(id)) p.state = ConnectionState::kClosed;
    p.received = counters;
  }
  for (const auto& [id, weak] : inbound_by_peer_) {
    if (!weak.expired()) peers[id].inbound_connected = true;
  }
  for (const auto& [id, address] : client_addresses_) {
    PeerStats& p = peers[id];
    if (!outbound_.contains(id)) p.state = ConnectionState::kClosed;
    p.client_address = address;
  }
  for (auto& [id, p] : peers) {
    p.id = id;
    out.peers.push_back(std::move(p));
  }
  return out;
}

bool TransportCore::on_handshake(const Handshake& h,
                                 const std::shared_ptr<InboundConnection>& conn) {
  if (closed_) return false;
  const raft::NodeId peer = h.node_id;
  // A peer keeps one connection to us; a new one means it reconnected, so the old one is
  // dead or about to be.
  std::weak_ptr<InboundConnection>& current = inbound_by_peer_[peer];
  if (auto previous = current.lock(); previous && previous != conn) {
    log_->info("net: peer {} reconnected; closing its previous connection", peer);
    current = conn;
    previous->close();
  }
  current = conn;
  learn_client_address(peer, h.client_address);
  if (!closed_) learn_peer_address(peer, h.peer_address);
  return !closed_;  // a handler may have destroyed the transport
}

void TransportCore::learn_client_address(raft::NodeId peer, const std::string& client_address) {
  if (client_address.empty()) return;  // a v1 peer, or one that advertises nothing
  std::string& known = client_addresses_[peer];
  if (known == client_address) return;
  log_->info("net: peer {} serves clients at {}", peer, client_address);
  known = client_address;
  if (!peer_info_handler_) return;
  call_handler("peer info", [&] { peer_info_handler_(peer, client_address); });
}

void TransportCore::learn_peer_address(raft::NodeId peer, const std::string& peer_address) {
  if (peer_address.empty()) return;  // a peer older than v4, or one that advertises nothing
  std::optional<PeerAddress> parsed = parse_peer_address(peer_address);
  if (!parsed) return;  // decode_handshake() checked it
  auto [it, added] = advertised_peers_.try_emplace(peer, *parsed);
  if (!added && it->second == *parsed) return;
  it->second = *parsed;
  log_->info("net: peer {} listens for peers at {}", peer, peer_address);
  if (!peer_address_handler_) return;
  call_handler("peer address", [&] { peer_address_handler_(peer, *parsed); });
}

void TransportCore::call_handler(const char* name, const std::function<void()>& call) {
  // Like the message handler: whatever it throws must not unwind into Asio.
  try {
    call();
  } catch (const std::exception& e) {
    log_->error("net: the {} handler threw: {}", name, e.what());
  } catch (...) {
    log_->error("net: the {} handler threw a non-standard exception", name);
  }
}

void TransportCore::on_message(raft::Message m, size_t frame_bytes) {
  if (closed_) return;
  ReceiveCounters& counters = received_[m.from];
  ++counters.messages_received;
  counters.bytes_received += frame_bytes;
  // The handler is the application's; whatever it throws must not unwind into Asio.
  try {
    handler_(std::move(m));
  } catch (const std::exception& e) {
    log_->error("net: the message handler threw: {}", e.what());
  } catch (...) {
    log_->error("net: the message handler threw a non-standard exception");
  }
}

void TransportCore::on_bad_message(raft::NodeId peer) {
  ++received_[peer].messages_rejected;
}

void TransportCore::on_refused() {
  ++rejected_connections_;
}

void TransportCore::on_protocol_error() {
  ++protocol_errors_;
}

void TransportCore::on_closed(const InboundConnection* conn) {
  inbound_.erase(conn);
  const auto it = inbound_by_peer_.find(conn->peer());
  if (it != inbound_by_peer_.end()) {
    const auto current = it->second.lock();
    if (!current || current.get() == conn) inbound_by_peer_.erase(it);
  }
}

}  // namespace raftkv::net
