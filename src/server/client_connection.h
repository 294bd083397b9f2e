// One Redis client connection: reads bytes, parses RESP (pipelined, bounded), hands each
// command to the CommandHandler, and writes the replies back strictly in request order
// even though they complete out of order (a read may finish before an earlier write).
// It enforces its own ConnectionLimits: the query buffer, the output buffer (hard and soft,
// counting every reply held, whether waiting for an earlier one or for the socket) and
// backpressure (no reading while the output is over output_pause_bytes()). Over TLS (the
// --tls-port) it first completes the TLS handshake; after that both kinds run the same code,
// TLS costing one branch per read or write call (net::MaybeTlsStream).
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kv/argv.h"
#include "kv/local_commands.h"
#include "kv/resp_parser.h"
#include "net/tls_stream.h"
#include "server/client_limits.h"
#include "server/reply_slot.h"

namespace raftkv::server {

class ClientConnection;

class CommandHandler {
 public:
  virtual ~CommandHandler() = default;
  virtual void handle(kv::Argv argv, kv::ClientState& client, ReplySlot slot) = 0;
  // The connection is valid from on_connect until on_disconnect returns.
  virtual void on_connect(const ClientConnection& /*conn*/) {}
  virtual void on_disconnect(const ClientConnection& /*conn*/) {}
};

class ClientConnection : public ReplyTarget, public std::enable_shared_from_this<ClientConnection> {
 public:
  // TLS if `tls` is given (it must outlive the connection).
  ClientConnection(asio::ip::tcp::socket socket, CommandHandler* handler, uint64_t id,
                   const ConnectionLimits& limits, asio::ssl::context* tls = nullptr);
  void start();
  void close();
  // Called about once a second (Redis's clientsCron): closes the connection if it has been
  // idle for `idle_timeout` (zero: never; a client waiting for a reply is not idle) or over
  // its soft output limit for too long. Returns true if it closed it.
  bool check_timeouts(std::chrono::steady_clock::time_point now, std::chrono::seconds idle_timeout);
  // Bytes of replies held: completed but waiting for an earlier one, ready, or being sent.
  uint64_t output_bytes() const { return output_bytes_; }
  bool reading_paused() const { return reading_paused_; }
  // The server's CONFIG (kv::ClientState::config); must outlive the connection.
  void set_config(kv::ConfigHandler* config) { state_.config = config; }
  // CONFIG SET changed the limits: in effect at once (the output limits are checked now).
  void set_limits(const ConnectionLimits& limits);
  const kv::ClientState& state() const { return state_; }
  const std::string& peer() const { return peer_; }
  const std::string& local() const { return local_; }  // this end: CLIENT KILL LADDR
  // SLOWLOG's client fields.
  std::string client_addr() const override { return peer_; }
  std::string client_name() const override { return state_.name; }
  // MONITOR: bytes sent to the client unasked, after the replies already due, and
  // bounded by the output buffer limits like any reply.
  void push(std::string bytes);
  // Which output limit class applies: the pubsub class while subscribed (Redis's
  // client-output-buffer-limit pubsub), else normal. Checked at once.
  void set_subscribed(bool subscribed);
  // CLIENT KILL of itself: close once the replies due are sent.
  void close_after_replies();
  // For CLIENT LIST: when it connected, when its last command arrived, and its name as the
  // client spelled it.
  std::chrono::steady_clock::time_point connected_at() const { return connected_at_; }
  std::chrono::steady_clock::time_point last_command_at() const { return last_command_at_; }
  const std::string& last_command() const { return last_command_; }
  // Its argv[1], which names the subcommand of CLIENT, CONFIG... (CLIENT LIST's cmd).
  const std::string& last_subcommand() const { return last_subcommand_; }
  // CLIENT LIST's memory and event fields, with Redis's meanings.
  struct Usage {
    int fd = -1;
    uint64_t qbuf = 0;       // unparsed input and the arguments of a partial command
    uint64_t qbuf_free = 0;  // room in the input buffer
    uint64_t argv_mem = 0;   // arguments parsed but not yet handed to the server
    uint64_t rbs = 0;        // the read buffer's size
    uint64_t oll = 0;        // replies held (waiting for an earlier one, or to be sent)
    uint64_t omem = 0;       // their bytes
    bool reading = false;
    bool writing = false;
  };
  Usage usage() const;

 private:
  void read_more();
  void on_read(size_t n);
  // Hands the parsed commands to the handler until backpressure says stop; then reads.
  void dispatch();
  // Whether the reply to `argv`, about to run, is dropped (CLIENT REPLY OFF or SKIP).
  bool quiet(const kv::Argv& argv);
  void complete(uint64_t seq, std::string bytes) override;
  void flush();
  void on_written(const asio::error_code& ec);
  // Applies the output limits after output_bytes_ changed; false if the connection closed.
  bool check_output_limits();
  void close_for(std::string_view why);
  // Flushes once the current event-loop turn ends, so that every reply completed in it (a
  // confirmed batch of reads, a committed batch of writes) leaves in one send.
  void schedule_flush();

  net::MaybeTlsStream stream_;
  CommandHandler* handler_;
  kv::ClientState state_;
  std::string peer_;
  std::string local_;
  kv::RespParser parser_;
  size_t max_pending_replies_;
  OutputBufferLimit output_limit_;
  OutputBufferLimit normal_limit_;
  OutputBufferLimit pubsub_limit_;
  bool subscribed_ = false;  // pubsub_limit_ applies
  uint64_t pause_bytes_;
  uint64_t output_bytes_ = 0;
  // When the output went over the soft limit (time_point{} while under it).
  std::chrono::steady_clock::time_point over_soft_since_{};
  std::vector<char> read_buf_;
  // Commands parsed from the last read; those from next_command_ on are not handled yet.
  std::vector<kv::Argv> commands_;
  size_t next_command_ = 0;
  bool parse_failed_ = false;  // the error is answered after commands_
  // Replies in request order; replies_[i] answers command first_seq_ + i.
  std::deque<std::optional<std::string>> replies_;
  // Commands whose replies are dropped (CLIENT REPLY OFF or SKIP), in increasing order.
  std::deque<uint64_t> silent_;
  uint64_t first_seq_ = 0;
  uint64_t next_seq_ = 0;
  std::string out_;       // bytes being written
  std::string out_next_;  // bytes ready to write after the current write
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool reading_paused_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point connected_at_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_command_at_ = connected_at_;
  std::string last_command_ = "NULL";
  std::string last_subcommand_;
  int fd_ = -1;
  // Last read or completed write (Redis's lastinteraction), for the idle timeout.
  std::chrono::steady_clock::time_point last_interaction_ = connected_at_;
};

}  // namespace raftkv::server
