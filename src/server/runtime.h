// Runtime: the node's clocks and event loop, behind an interface so that the deterministic
// simulator (tests/sim) runs the same driver and request path that ship, on simulated
// time, the way FoundationDB and TigerBeetle simulate their real code.
//
// Everything the node does happens on one logical thread: handlers posted or scheduled
// here run one at a time, never concurrently with each other. The server's implementation
// is an Asio io_context (AsioRuntime); the simulator's runs handlers from its event queue.
#pragma once

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace raftkv::server {

class Runtime {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~Runtime() = default;
  // Monotonic time, for timeouts and deadlines.
  virtual Clock::time_point now() const = 0;
  // Wall-clock time in Unix milliseconds: what a leader stamps into log entries (log
  // time). It may jump and differ between nodes; nothing that must agree across nodes
  // reads it, except through the log.
  virtual uint64_t wall_ms() const = 0;
  // Runs `fn` after the current handler returns (in posting order).
  virtual void post(std::function<void()> fn) = 0;
  // Runs `fn` once, `delay` from now.
  virtual void after(std::chrono::nanoseconds delay, std::function<void()> fn) = 0;
};

// The real thing: an Asio io_context and the machine's clocks.
class AsioRuntime : public Runtime {
 public:
  // `wall_offset_ms` shifts the wall clock (fault testing: a skewed clock).
  explicit AsioRuntime(asio::io_context& io, int64_t wall_offset_ms = 0)
      : io_(io), wall_offset_ms_(wall_offset_ms) {}
  Clock::time_point now() const override { return Clock::now(); }
  uint64_t wall_ms() const override {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count() +
                                 wall_offset_ms_);
  }
  void post(std::function<void()> fn) override { asio::post(io_, std::move(fn)); }
  void after(std::chrono::nanoseconds delay, std::function<void()> fn) override {
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& ec) {
      if (!ec) fn();
    });
  }
  asio::io_context& io() { return io_; }

 private:
  asio::io_context& io_;
  int64_t wall_offset_ms_;
};

// A token that handlers capture to find out whether their owner still exists: scheduled
// work may outlive the object that scheduled it (a timer pending when a driver stops).
class Liveness {
 public:
  Liveness() : token_(std::make_shared<char>()) {}
  std::weak_ptr<char> watch() const { return token_; }

 private:
  std::shared_ptr<char> token_;
};

}  // namespace raftkv::server
