// The state behind PeerTransport, owned by shared_ptr so that handlers still queued on the
// io_context after the transport is destroyed (and post_send calls racing with it) find it
// alive but closed, and do nothing. Everything here runs on the io thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio.hpp>

#include "net/inbound_connection.h"
#include "net/outbound_connection.h"
#include "net/peer_address.h"
#include "net/transport_options.h"
#include "net/transport_stats.h"
#include "raft/types.h"

namespace raftkv::net {

class TransportCore : public InboundSink, public std::enable_shared_from_this<TransportCore> {
 public:
  using MessageHandler = std::function<void(raft::Message)>;
  using PeerInfoHandler = std::function<void(raft::NodeId, const std::string& client_address)>;
  using PeerAddressHandler = std::function<void(raft::NodeId, const PeerAddress& address)>;

  TransportCore(asio::io_context& io, raft::NodeId self, std::map<raft::NodeId, PeerAddress> peers,
                MessageHandler on_message, TransportOptions options);

  std::error_code start();
  void shutdown();
  bool closed() const { return closed_; }
  uint16_t listen_port() const;
  asio::io_context::executor_type executor() { return io_.get_executor(); }

  void send(raft::Message m);
  void set_peer(raft::NodeId id, PeerAddress address);
  void remove_peer(raft::NodeId id);
  void set_peer_info_handler(PeerInfoHandler handler) { peer_info_handler_ = std::move(handler); }
  void set_peer_address_handler(PeerAddressHandler handler) {
    peer_address_handler_ = std::move(handler);
  }
  // Called (posted, never from inside send) when a Raft append is queued for a peer whose
  // connection is not up; the node then stops streaming to it (Node::report_unreachable).
  using UnreachableHandler = std::function<void(raft::NodeId)>;
  void set_unreachable_handler(UnreachableHandler handler) {
    unreachable_handler_ = std::move(handler);
  }
  TransportStats stats() const;
  const std::map<raft::NodeId, std::string>& peer_client_addresses() const {
    return client_addresses_;
  }

  // InboundSink
  bool on_handshake(const Handshake& h, const std::shared_ptr<InboundConnection>& conn) override;
  void on_message(raft::Message m, size_t frame_bytes) override;
  void on_bad_message(raft::NodeId peer) override;
  void on_refused() override;
  void on_protocol_error() override;
  void on_closed(const InboundConnection* conn) override;

 private:
  void accept();
  // Records the client address of a handshake and reports it if it is new for that peer.
  void learn_client_address(raft::NodeId peer, const std::string& client_address);
  // The same for the peer address a v4 handshake carries.
  void learn_peer_address(raft::NodeId peer, const std::string& peer_address);
  // Runs a handler of the application's: whatever it throws must not unwind into Asio.
  void call_handler(const char* name, const std::function<void()>& call);
  std::shared_ptr<OutboundConnection> make_outbound(raft::NodeId id, PeerAddress address);

  asio::io_context& io_;
  const raft::NodeId self_;
  const TransportOptions options_;
  const MessageHandler handler_;
  PeerInfoHandler peer_info_handler_;
  PeerAddressHandler peer_address_handler_;
  UnreachableHandler unreachable_handler_;
  const std::shared_ptr<spdlog::logger> log_;

  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_retry_timer_;
  bool started_ = false;
  bool closed_ = false;

  std::map<raft::NodeId, PeerAddress> addresses_;  // includes our own entry, if given
  std::map<raft::NodeId, std::shared_ptr<OutboundConnection>> outbound_;
  // Every open inbound connection, and the one (latest) per handshaken peer.
  std::map<const InboundConnection*, std::weak_ptr<InboundConnection>> inbound_;
  std::map<raft::NodeId, std::weak_ptr<InboundConnection>> inbound_by_peer_;
  std::map<raft::NodeId, ReceiveCounters> received_;
  // The last non-empty client address each peer sent (kept after remove_peer: still true).
  std::map<raft::NodeId, std::string> client_addresses_;
  std::map<raft::NodeId, PeerAddress> advertised_peers_;  // the same for peer addresses

  uint64_t unroutable_messages_ = 0;
  uint64_t rejected_connections_ = 0;
  uint64_t protocol_errors_ = 0;
};

}  // namespace raftkv::net
