#include "server/client_connection.h"

#include <spdlog/spdlog.h>

namespace raftkv::server {

namespace {
constexpr size_t kMaxBufferedOutput = 64 << 20;
}  // namespace

ClientConnection::ClientConnection(asio::ip::tcp::socket socket, CommandHandler* handler,
                                   uint64_t id, kv::ParserLimits limits, size_t max_pending_replies)
    : socket_(std::move(socket)),
      handler_(handler),
      parser_(limits),
      max_pending_replies_(max_pending_replies),
      read_buf_(64 * 1024) {
  state_.id = id;
  asio::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
}

void ClientConnection::start() {
  handler_->on_connect(*this);
  read_more();
}

void ClientConnection::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  handler_->on_disconnect(*this);
}

void ClientConnection::read_more() {
  if (closed_ || close_after_flush_) return;
  // Backpressure: a client that pipelines faster than we answer, or reads its replies
  // slower than it sends, waits: neither pending replies nor output grow without bound.
  if (replies_.size() >= max_pending_replies_ || out_next_.size() > kMaxBufferedOutput) {
    reading_paused_ = true;
    return;
  }
  reading_paused_ = false;
  socket_.async_read_some(asio::buffer(read_buf_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                            if (ec) {
                              self->close();
                              return;
                            }
                            self->on_read(n);
                          });
}

void ClientConnection::on_read(size_t n) {
  std::vector<kv::Argv> commands;
  bool ok = parser_.feed(std::string_view(read_buf_.data(), n), &commands);
  if (!commands.empty()) {
    last_command_at_ = std::chrono::steady_clock::now();
    last_command_ = commands.back().empty() ? "NULL" : commands.back()[0];  // as sent
  }
  for (auto& argv : commands) {
    uint64_t seq = next_seq_++;
    replies_.emplace_back();
    handler_->handle(std::move(argv), state_, ReplySlot(shared_from_this(), seq));
    if (closed_) return;
  }
  if (!ok) {
    // Answer what came before, then the protocol error, then close (as Redis does).
    uint64_t seq = next_seq_++;
    replies_.emplace_back();
    close_after_flush_ = true;
    complete(seq, "-" + parser_.error() + "\r\n");
    return;
  }
  read_more();
}

void ClientConnection::complete(uint64_t seq, std::string bytes) {
  if (closed_ || seq < first_seq_) return;
  size_t i = seq - first_seq_;
  if (i >= replies_.size() || replies_[i]) return;
  replies_[i] = std::move(bytes);
  bool popped = false;
  while (!replies_.empty() && replies_.front()) {
    out_next_ += *replies_.front();
    replies_.pop_front();
    ++first_seq_;
    popped = true;
  }
  // Nothing else outstanding: send now. Otherwise more replies may complete in this turn
  // (pipelined commands confirmed together) and should share the send.
  if (popped && replies_.empty()) flush();
  if (popped && !replies_.empty()) schedule_flush();
  if (reading_paused_) read_more();
}

void ClientConnection::schedule_flush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    self->flush_scheduled_ = false;
    self->flush();
  });
}

void ClientConnection::flush() {
  if (writing_ || closed_) return;
  if (out_next_.empty()) {
    if (close_after_flush_ && replies_.empty()) close();
    return;
  }
  writing_ = true;
  out_.swap(out_next_);
  out_next_.clear();
  asio::async_write(socket_, asio::buffer(out_),
                    [self = shared_from_this()](const asio::error_code& ec, size_t) {
                      self->writing_ = false;
                      self->out_.clear();
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->flush();
                      if (self->reading_paused_) self->read_more();
                    });
}

}  // namespace raftkv::server
