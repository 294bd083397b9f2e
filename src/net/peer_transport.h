// raftkv::net::PeerTransport — carries raft::Messages between cluster members over TCP.
//
// Each node listens on its peer address and keeps ONE outbound connection to every other
// peer; a message to peer X always travels over our connection to X, and connections that
// peers open to us only receive. (Two connections per pair, one per direction, so there is
// no race over which of two simultaneous connects wins.) Connections reconnect by
// themselves with exponential backoff. See docs/transport.md for the wire format, the
// handshake and the queueing policy.
//
// THREADING. The io_context must be run by exactly one thread (the "io thread"). The
// message handler passed to the constructor and the peer info handler are called on it.
// Every method must be called on the io thread, except post_send(), which may be called
// from any thread while the transport exists. Destroy the transport on the io thread (or
// after the io_context stopped); after the destructor returns the handlers are never
// called again.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include <asio.hpp>

#include "net/peer_address.h"
#include "net/transport_options.h"
#include "net/transport_stats.h"
#include "raft/types.h"

namespace raftkv::net {

class TransportCore;

class PeerTransport {
 public:
  // Called once per message received, in the order each peer sent them. May throw: the
  // exception is logged and the message counted as received.
  using MessageHandler = std::function<void(raft::Message)>;
  // Called when a peer's handshake carries a client address (TransportOptions::
  // advertised_client_address) other than the last one reported for that peer. May throw:
  // the exception is logged and the address still counts as reported.
  using PeerInfoHandler = std::function<void(raft::NodeId, const std::string& client_address)>;
  // Called when a peer's handshake carries its peer address (TransportOptions::
  // advertised_peer_address) other than the last one reported for that peer: a peer that
  // dials us can be dialled back before anything else names it. May throw, as above.
  using PeerAddressHandler = std::function<void(raft::NodeId, const PeerAddress& address)>;

  // `peers` maps every member's id to its peer address, ours included (that is where we
  // listen unless options.listen_address says otherwise). Nothing happens until start().
  PeerTransport(asio::io_context& io, raft::NodeId self, std::map<raft::NodeId, PeerAddress> peers,
                MessageHandler on_message, TransportOptions options = {});
  ~PeerTransport();

  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Binds the listening socket and starts connecting to the peers. Fails if the address
  // cannot be resolved or bound, or if no listen address is known.
  std::error_code start();

  // The port actually bound (useful with port 0); 0 before start().
  uint16_t listen_port() const;

  // Queues a message for peer m.to and returns at once. Messages to ourselves or to an
  // unknown node are counted as unroutable and dropped; a full queue drops and counts too.
  void send(raft::Message m);
  void send(std::vector<raft::Message> messages);
  // Thread-safe: posts the messages to the io thread, then sends them in order.
  void post_send(std::vector<raft::Message> messages);

  // Adds a peer or changes its address (the connection restarts; its queue is discarded).
  void set_peer(raft::NodeId id, PeerAddress address);
  void remove_peer(raft::NodeId id);

  // Call before start(), so that no handshake goes unreported.
  void set_peer_info_handler(PeerInfoHandler handler);
  void set_peer_address_handler(PeerAddressHandler handler);
  // See TransportCore::set_unreachable_handler.
  void set_unreachable_handler(std::function<void(raft::NodeId)> handler);
  // The last client address each peer advertised (peers that advertised none are absent).
  std::map<raft::NodeId, std::string> peer_client_addresses() const;

  TransportStats stats() const;

 private:
  std::shared_ptr<TransportCore> core_;
};

}  // namespace raftkv::net
