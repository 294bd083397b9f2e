#include "server/client_connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace raftkv::server {

namespace {
// A send buffer that grew past this is freed after its write rather than kept for reuse,
// so one burst of big replies does not pin its memory for the connection's lifetime.
constexpr size_t kKeepBufferCapacity = 1 << 20;
constexpr size_t kKeepCommandsCapacity = 256;

void release_if_big(std::string& buffer) {
  buffer.clear();
  if (buffer.capacity() > kKeepBufferCapacity) std::string().swap(buffer);
}
}  // namespace

ClientConnection::ClientConnection(asio::ip::tcp::socket socket, CommandHandler* handler,
                                   uint64_t id, const ConnectionLimits& limits,
                                   asio::ssl::context* tls)
    : stream_(std::move(socket), tls),
      handler_(handler),
      parser_(limits.parser),
      max_pending_replies_(limits.max_pending_replies),
      output_limit_(limits.output),
      normal_limit_(limits.output),
      pubsub_limit_(limits.pubsub),
      pause_bytes_(output_pause_bytes(limits.output)),
      read_buf_(64 * 1024) {
  state_.id = id;
  fd_ = static_cast<int>(stream_.socket().native_handle());
  asio::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  auto local = stream_.socket().local_endpoint(ec);
  if (!ec) local_ = local.address().to_string() + ":" + std::to_string(local.port());
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);
}

void ClientConnection::start() {
  handler_->on_connect(*this);
  if (!stream_.is_tls()) return read_more();
  stream_.async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](const asio::error_code& ec) {
                            if (self->closed_) return;
                            if (ec) {
                              // A plaintext client on the TLS port, a wrong certificate...
                              spdlog::info("client {} ({}): TLS handshake failed: {}",
                                           self->state_.id, self->peer_, ec.message());
                              return self->close();
                            }
                            self->read_more();
                          });
}

void ClientConnection::close() {
  if (closed_) return;
  closed_ = true;
  asio::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  // Requests still in flight keep this object alive until they complete: free what it
  // holds now. (out_ belongs to the write in progress, which ends with the socket.)
  replies_.clear();
  std::string().swap(out_next_);
  output_bytes_ = out_.size();
  handler_->on_disconnect(*this);
}

void ClientConnection::close_for(std::string_view why) {
  spdlog::warn("client {} ({}) closed: {}", state_.id, peer_, why);
  close();
}

bool ClientConnection::check_timeouts(std::chrono::steady_clock::time_point now,
                                      std::chrono::seconds idle_timeout) {
  if (closed_) return false;
  if (idle_timeout.count() > 0 && replies_.empty() && now - last_interaction_ > idle_timeout) {
    spdlog::debug("closing idle client {} ({})", state_.id, peer_);
    close();
    return true;
  }
  if (over_soft_since_ != std::chrono::steady_clock::time_point{} &&
      now - over_soft_since_ > std::chrono::seconds(output_limit_.soft_seconds)) {
    close_for("over the soft output buffer limit for too long (client-output-buffer-limit)");
    return true;
  }
  return false;
}

void ClientConnection::read_more() {
  if (closed_ || close_after_flush_) return;
  if (next_command_ < commands_.size() || parse_failed_) {
    dispatch();  // commands of the last read come first
    return;
  }
  reading_paused_ = false;
  stream_.async_read_some(asio::buffer(read_buf_),
                          [self = shared_from_this()](const asio::error_code& ec, size_t n) {
                            if (ec) {
                              self->close();
                              return;
                            }
                            self->on_read(n);
                          });
}

void ClientConnection::on_read(size_t n) {
  last_interaction_ = std::chrono::steady_clock::now();
  commands_.clear();
  next_command_ = 0;
  parse_failed_ = !parser_.feed(std::string_view(read_buf_.data(), n), &commands_);
  if (parse_failed_ && parser_.buffer_limit_exceeded()) {
    // As Redis does: nothing of this input is executed and nothing is answered.
    close_for("reached max query buffer length (client-query-buffer-limit)");
    return;
  }
  if (!commands_.empty()) {
    last_command_at_ = last_interaction_;
    const kv::Argv& last = commands_.back();
    last_command_ = last.empty() ? "NULL" : last[0];  // as sent
    if (last.size() > 1 && last[1].size() <= 32) {
      last_subcommand_ = last[1];
    } else {
      last_subcommand_.clear();
    }
  }
  dispatch();
}

void ClientConnection::dispatch() {
  // Cleared first so that a reply completing inside handle() does not re-enter here.
  reading_paused_ = false;
  // One clock read for the commands of this batch: they arrived together (pipelined).
  const auto arrived = ReplySlot::Clock::now();
  while (next_command_ < commands_.size()) {
    // Backpressure: a client that pipelines faster than we answer, or reads its replies
    // slower than it sends, waits (the rest of its read stays parsed here, and nothing
    // more is read): neither pending replies nor output grow without bound.
    if (replies_.size() >= max_pending_replies_ || output_bytes_ >= pause_bytes_) {
      reading_paused_ = true;
      return;
    }
    uint64_t seq = next_seq_++;
    replies_.emplace_back();
    kv::Argv& argv = commands_[next_command_++];
    if (quiet(argv)) silent_.push_back(seq);
    handler_->handle(std::move(argv), state_, ReplySlot(shared_from_this(), seq, arrived));
    if (closed_ || close_after_flush_) return;  // killed (CLIENT KILL): no more commands
  }
  // A big pipeline's vector is not kept: idle connections should cost little.
  if (commands_.capacity() > kKeepCommandsCapacity) std::vector<kv::Argv>().swap(commands_);
  if (parse_failed_) {
    // Answer what came before, then the protocol error, then close (as Redis does).
    parse_failed_ = false;
    uint64_t seq = next_seq_++;
    replies_.emplace_back();
    close_after_flush_ = true;
    complete(seq, "-" + parser_.error() + "\r\n");
    return;
  }
  read_more();
}

bool ClientConnection::check_output_limits() {
  if (output_limit_.hard != 0 && output_bytes_ > output_limit_.hard) {
    close_for("over the hard output buffer limit (client-output-buffer-limit)");
    return false;
  }
  if (output_limit_.soft == 0 || output_bytes_ <= output_limit_.soft) {
    over_soft_since_ = {};
    return true;
  }
  const auto now = std::chrono::steady_clock::now();
  if (over_soft_since_ == std::chrono::steady_clock::time_point{}) {
    over_soft_since_ = now;
  } else if (now - over_soft_since_ > std::chrono::seconds(output_limit_.soft_seconds)) {
    close_for("over the soft output buffer limit for too long (client-output-buffer-limit)");
    return false;
  }
  return true;
}

bool ClientConnection::quiet(const kv::Argv& argv) {
  // Decided before the command runs: its reply may be sent while it runs.
  switch (kv::client_reply_mode(argv)) {
    case kv::ClientReplyMode::kOn:
      return false;
    case kv::ClientReplyMode::kOff:
    case kv::ClientReplyMode::kSkip:
      return true;
    default:
      return state_.reply_off || std::exchange(state_.reply_skip, false);
  }
}

void ClientConnection::complete(uint64_t seq, std::string bytes) {
  if (closed_ || seq < first_seq_) return;
  size_t i = seq - first_seq_;
  if (i >= replies_.size() || replies_[i]) return;
  if (!silent_.empty()) {  // (replies complete out of order: a write's after a later read's)
    const auto it = std::lower_bound(silent_.begin(), silent_.end(), seq);
    if (it != silent_.end() && *it == seq) {
      silent_.erase(it);
      bytes.clear();  // CLIENT REPLY OFF or SKIP: nothing is sent for it
    }
  }
  output_bytes_ += bytes.size();
  replies_[i] = std::move(bytes);
  if (!check_output_limits()) return;
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

void ClientConnection::push(std::string bytes) {
  if (closed_) return;
  // A reply slot of its own, completed at once: it leaves after the replies already due.
  const uint64_t seq = next_seq_++;
  replies_.emplace_back();
  complete(seq, std::move(bytes));
}

ClientConnection::Usage ClientConnection::usage() const {
  Usage u;
  u.fd = closed_ ? -1 : fd_;
  u.qbuf = parser_.buffered_bytes();
  u.qbuf_free = parser_.buffer_free();
  for (size_t i = next_command_; i < commands_.size(); ++i) {
    for (const std::string& arg : commands_[i]) u.argv_mem += arg.size();
  }
  u.rbs = read_buf_.size();
  u.oll = replies_.size();
  u.omem = output_bytes_;
  u.reading = !closed_ && !reading_paused_ && !close_after_flush_;
  u.writing = writing_;
  return u;
}

void ClientConnection::set_limits(const ConnectionLimits& limits) {
  parser_.set_limits(limits.parser);
  normal_limit_ = limits.output;
  pubsub_limit_ = limits.pubsub;
  set_subscribed(subscribed_);
}

void ClientConnection::set_subscribed(bool subscribed) {
  subscribed_ = subscribed;
  output_limit_ = subscribed ? pubsub_limit_ : normal_limit_;
  pause_bytes_ = output_pause_bytes(output_limit_);
  if (!closed_) check_output_limits();
}

void ClientConnection::close_after_replies() {
  close_after_flush_ = true;
  flush();
}

void ClientConnection::schedule_flush() {
  if (flush_scheduled_ || closed_) return;
  flush_scheduled_ = true;
  asio::post(stream_.socket().get_executor(), [self = shared_from_this()] {
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
  release_if_big(out_next_);
  stream_.async_write(
      asio::buffer(out_),
      [self = shared_from_this()](const asio::error_code& ec, size_t) { self->on_written(ec); });
}

void ClientConnection::on_written(const asio::error_code& ec) {
  writing_ = false;
  output_bytes_ -= out_.size();
  release_if_big(out_);
  if (ec) {
    close();
    return;
  }
  last_interaction_ = std::chrono::steady_clock::now();
  if (output_bytes_ <= output_limit_.soft) over_soft_since_ = {};
  flush();
  if (reading_paused_) read_more();
}

}  // namespace raftkv::server
