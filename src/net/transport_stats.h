// Counters of the peer transport, for INFO and metrics. Snapshots, taken on the io thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "raft/types.h"

namespace raftkv::net {

enum class ConnectionState : uint8_t {
  kConnecting,  // resolving the address or connecting
  kConnected,   // handshake sent, messages flowing
  kBackoff,     // the last attempt failed; waiting before the next
  kClosed,      // the peer was removed or the transport shut down
};

const char* to_string(ConnectionState s);

struct SendCounters {
  uint64_t messages_sent = 0;  // written to the socket
  uint64_t bytes_sent = 0;     // frame bytes, headers included
  // Refused by a full queue, lost in a failed write, or too large to send.
  uint64_t messages_dropped = 0;
  uint64_t connects = 0;  // successful connections (1 + reconnects)
};

struct ReceiveCounters {
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;  // frame bytes, headers included
  // Frames that failed to decode or were not addressed from/to the right node.
  uint64_t messages_rejected = 0;
};

struct PeerStats {
  raft::NodeId id = raft::kNoNode;
  std::string address;
  // The Redis client address from the peer's latest handshake that carried one; empty if
  // none did (yet).
  std::string client_address;
  ConnectionState state = ConnectionState::kConnecting;
  SendCounters sent;
  ReceiveCounters received;
  bool inbound_connected = false;  // the peer's own connection to us is up
  uint64_t queued_messages = 0;
  uint64_t queued_bytes = 0;
};

struct TransportStats {
  std::vector<PeerStats> peers;  // ordered by id
  // Sends addressed to ourselves or to a node not in the peer map.
  uint64_t unroutable_messages = 0;
  // Inbound connections closed before or at the handshake (garbage, wrong cluster, too many).
  uint64_t rejected_connections = 0;
  // Inbound connections closed after the handshake for a protocol error (oversized frame).
  uint64_t protocol_errors = 0;
};

}  // namespace raftkv::net
