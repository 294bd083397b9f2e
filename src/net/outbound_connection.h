// Our one persistent connection to a peer: every message to that peer goes over it. It
// connects (under TLS, checking that the peer's certificate names the member we dial),
// sends the handshake (with cluster secrets: reads the peer's challenge, checks its proof
// and answers with ours, net/peer_auth.h), then writes queued frames in batches (one
// gathered write at a time, the next batch starting as soon as the previous completes). On
// any error or failed check it closes the connection and reconnects after an exponential
// backoff. It never reads messages: the peer talks to us over its own connection; once
// authenticated, our read only notices the peer hanging up.
//
// Lives on the io thread, owned by shared_ptr: pending handlers keep it alive, and after
// close() they return without doing anything.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio.hpp>

#include "net/backoff.h"
#include "net/frame.h"
#include "net/handshake.h"
#include "net/peer_address.h"
#include "net/peer_auth.h"
#include "net/send_queue.h"
#include "net/tls_stream.h"
#include "net/transport_options.h"
#include "net/transport_stats.h"

namespace raftkv::net {

class OutboundConnection : public std::enable_shared_from_this<OutboundConnection> {
 public:
  OutboundConnection(asio::io_context& io, raft::NodeId self, raft::NodeId peer,
                     PeerAddress address, const TransportOptions& options);

  void start();
  // Permanently: pending handlers turn into no-ops, queued frames are discarded.
  void close();

  // Queues one encoded frame; counts it as dropped when the lane is full.
  void enqueue(Lane lane, std::string frame);
  void count_drop() { ++counters_.messages_dropped; }

  const PeerAddress& address() const { return address_; }
  ConnectionState state() const { return state_; }
  const SendCounters& counters() const { return counters_; }
  const SendQueue& queue() const { return queue_; }

 private:
  using Clock = std::chrono::steady_clock;

  void resolve();
  void connect(const asio::ip::tcp::resolver::results_type& endpoints);
  void on_connected();
  // After TCP (and TLS): the handshake, and with secrets the challenge-response.
  void authenticate();
  void read_challenge();
  void on_challenge(std::string_view payload);
  // Every check passed: messages may flow, after preamble_.
  void mark_connected();
  void watch_for_hangup();
  void write_next();
  // Tears the connection down and schedules the next attempt.
  void fail(const std::string& what, const std::error_code& ec);

  const raft::NodeId peer_;
  const PeerAddress address_;
  const std::shared_ptr<spdlog::logger> log_;
  const raft::NodeId self_;
  const std::string cluster_id_;
  const std::string advertised_client_address_;
  const std::string advertised_peer_address_;
  const ClusterSecrets secrets_;
  const std::shared_ptr<asio::ssl::context> tls_;

  asio::ip::tcp::resolver resolver_;
  // A new stream per attempt, shared with that attempt's handlers: a TLS session must not
  // be destroyed while operations on it are still completing.
  std::shared_ptr<MaybeTlsStream> stream_;
  asio::steady_timer retry_timer_;
  Backoff backoff_;
  const std::chrono::milliseconds unacked_timeout_;

  ConnectionState state_ = ConnectionState::kConnecting;
  // Bumped at every teardown, so completions of the previous socket's operations, which
  // may arrive after a new attempt started, are recognised and ignored.
  uint64_t generation_ = 0;
  bool closed_ = false;
  bool writing_ = false;
  bool handshake_pending_ = false;  // preamble_ goes before the next batch
  // The frame that must precede messages on this connection: our handshake, or with
  // secrets our answer to the peer's challenge (the handshake went before it).
  std::string preamble_;
  std::optional<DialerAuth> auth_;
  FrameReader challenge_reader_{kMaxHandshakeFrameBytes};
  std::array<char, 1024> challenge_buffer_;
  Clock::time_point connected_at_;
  // Failures since the last healthy connection; only the first one is logged as a warning.
  uint64_t consecutive_failures_ = 0;
  bool reported_up_ = false;        // "connected" was logged and no loss since
  bool queue_full_logged_ = false;  // one warning per episode of a full queue

  SendQueue queue_;
  std::vector<std::string> in_flight_;  // the frames of the write in progress
  char hangup_byte_ = 0;
  SendCounters counters_;
};

}  // namespace raftkv::net
