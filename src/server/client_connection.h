// One Redis client connection: reads bytes, parses RESP (pipelined, bounded), hands each
// command to the CommandHandler, and writes the replies back strictly in request order
// even though they complete out of order (a read may finish before an earlier write).
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
  ClientConnection(asio::ip::tcp::socket socket, CommandHandler* handler, uint64_t id,
                   kv::ParserLimits limits, size_t max_pending_replies);
  void start();
  void close();
  const kv::ClientState& state() const { return state_; }
  const std::string& peer() const { return peer_; }
  // For CLIENT LIST: when it connected, when its last command arrived, and its name as the
  // client spelled it.
  std::chrono::steady_clock::time_point connected_at() const { return connected_at_; }
  std::chrono::steady_clock::time_point last_command_at() const { return last_command_at_; }
  const std::string& last_command() const { return last_command_; }

 private:
  void read_more();
  void on_read(size_t n);
  void complete(uint64_t seq, std::string bytes) override;
  void flush();
  // Flushes once the current event-loop turn ends, so that every reply completed in it (a
  // confirmed batch of reads, a committed batch of writes) leaves in one send.
  void schedule_flush();

  asio::ip::tcp::socket socket_;
  CommandHandler* handler_;
  kv::ClientState state_;
  std::string peer_;
  kv::RespParser parser_;
  size_t max_pending_replies_;
  std::vector<char> read_buf_;
  // Replies in request order; replies_[i] answers command first_seq_ + i.
  std::deque<std::optional<std::string>> replies_;
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
};

}  // namespace raftkv::server
