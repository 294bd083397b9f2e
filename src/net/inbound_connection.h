// A connection a peer opened to us: receive-only once open. The first frame must be a
// handshake from a node of our cluster, authenticated as configured (TransportOptions): under
// TLS its certificate must name the node id it claims; with cluster secrets we send a
// challenge and the next frame must answer it (net/peer_auth.h). Only then is the peer
// reported to the sink, and every later frame is one raft::Message from that node. Anything
// else (garbage, a foreign cluster, a failed check, an oversized frame, no authenticated
// handshake in time) closes this connection and nothing more; malformed messages are dropped
// and logged.
//
// Lives on the io thread, owned by shared_ptr: pending handlers keep it alive, and after
// close() they return without doing anything.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>

#include <asio.hpp>

#include "net/frame.h"
#include "net/handshake.h"
#include "net/peer_auth.h"
#include "net/tls_stream.h"
#include "net/transport_options.h"
#include "raft/types.h"

namespace raftkv::net {

class InboundConnection;

// What an inbound connection reports to the transport that accepted it.
class InboundSink {
 public:
  virtual ~InboundSink() = default;
  // A valid, authenticated handshake of our cluster arrived; returning false refuses the
  // connection.
  virtual bool on_handshake(const Handshake& h, const std::shared_ptr<InboundConnection>& conn) = 0;
  virtual void on_message(raft::Message m, size_t frame_bytes) = 0;
  virtual void on_bad_message(raft::NodeId peer) = 0;
  // The connection was refused before or at the handshake.
  virtual void on_refused() = 0;
  // The connection broke the protocol after the handshake.
  virtual void on_protocol_error() = 0;
  // Called once, whatever the reason.
  virtual void on_closed(const InboundConnection* conn) = 0;
};

class InboundConnection : public std::enable_shared_from_this<InboundConnection> {
 public:
  InboundConnection(asio::ip::tcp::socket socket, raft::NodeId self,
                    const TransportOptions& options, std::shared_ptr<InboundSink> sink);

  void start();
  void close();

  raft::NodeId peer() const { return peer_; }  // kNoNode until the handshake is accepted

 private:
  void read();
  // Handles every complete frame buffered; false when the connection was closed meanwhile.
  bool process_frames();
  // The handshake, then (with secrets) the response to our challenge.
  bool accept_handshake(std::string_view payload);
  bool accept_response(std::string_view payload);
  // The checks on a decoded handshake that need no reply; empty if it passes them.
  std::string check_handshake(const Handshake& h);
  void send_challenge();
  // The peer passed every check: from now on its frames are messages.
  bool open(const Handshake& h);
  void handle_message(std::string_view payload);
  void refuse(const std::string& why);

  MaybeTlsStream stream_;
  asio::steady_timer handshake_timer_;
  const raft::NodeId self_;
  const std::string cluster_id_;
  const uint32_t max_frame_bytes_;
  const std::shared_ptr<spdlog::logger> log_;
  const std::shared_ptr<InboundSink> sink_;
  const std::string remote_;  // "ip:port", for logs
  const ClusterSecrets secrets_;

  // Set once a handshake passed check_handshake() and we wait for the challenge's response.
  std::optional<Handshake> hello_;
  std::optional<AcceptorAuth> auth_;
  std::string challenge_frame_;

  raft::NodeId peer_ = raft::kNoNode;
  bool closed_ = false;
  bool bad_message_logged_ = false;  // one warning per connection, the rest at debug
  FrameReader reader_{kMaxHandshakeFrameBytes};
  std::array<char, 64 * 1024> read_buffer_;
};

}  // namespace raftkv::net
