// Tunables of the peer transport. The defaults suit a LAN cluster.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>
#include <asio/ssl/context.hpp>

#include "net/peer_address.h"
#include "net/peer_auth.h"
#include "net/send_queue.h"

namespace raftkv::net {

struct TransportOptions {
  // Sent in every handshake; connections from another cluster are refused.
  std::string cluster_id = "raftkv";
  // Our Redis client address ("host:port"), sent in every handshake so that peers learn it
  // (PeerTransport::set_peer_info_handler). Empty: nothing is advertised, and the handshake
  // stays at version 1. start() fails if it is not valid_client_address().
  std::string advertised_client_address;
  // Our peer address ("host:port"), sent in every handshake (version 4) so that a peer we
  // dial can dial us back before its log names us (PeerTransport::set_peer_address_handler).
  // Empty: not advertised. start() fails if it is not valid_client_address().
  std::string advertised_peer_address;
  // Where to listen; by default this node's own entry in the peer map. Port 0 picks a free
  // port (see PeerTransport::listen_port()).
  std::optional<PeerAddress> listen_address;

  // Largest frame accepted or sent. A larger announced length closes the connection; a
  // larger outgoing message is dropped and logged.
  uint32_t max_frame_bytes = 64 << 20;
  SendQueueLimits queue;

  std::chrono::milliseconds backoff_initial{50};
  std::chrono::milliseconds backoff_max{1000};
  // An outbound connection whose written data stays unacknowledged this long is failed
  // (TCP_USER_TIMEOUT), so a peer whose host vanished is noticed.
  std::chrono::milliseconds unacked_timeout{10000};
  // An inbound connection that has not sent its handshake by then is closed.
  std::chrono::milliseconds handshake_timeout{5000};
  // Inbound connections beyond this are closed at once (peers need one each).
  size_t max_inbound_connections = 64;

  // Peer authentication (docs/security.md). Either, both or neither may be set; a connection
  // must pass every check that is configured before any of its messages is delivered.
  // With secrets, both ends prove that they know one of them (net/peer_auth.h).
  ClusterSecrets cluster_secrets;
  // Mutual TLS: accepted connections are served with tls_server (which must require a client
  // certificate), ours dial with tls_client; each side's certificate must name its node id
  // (net/tls_context.h). Both or neither.
  std::shared_ptr<asio::ssl::context> tls_server;
  std::shared_ptr<asio::ssl::context> tls_client;

  // Defaults to spdlog's default logger.
  std::shared_ptr<spdlog::logger> logger;
};

}  // namespace raftkv::net
