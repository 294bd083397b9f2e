// The simulator's implementation of server::Runtime for one node: handlers run from the
// run's EventQueue on simulated time, so the node's driver, request path and state
// machine (the code that ships) run deterministically under a seed.
//
// Each node has its own clocks. The monotonic clock is simulated time. The wall clock
// (what a leader stamps into log entries) starts at a common epoch but can be skewed and
// stepped, backwards too, as real clocks are by NTP and operators.
//
// A paused node (a stopped VM) runs nothing: handlers that come due meanwhile wait and run
// in order at resume. A crash bumps the incarnation: handlers of the old process never run.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

#include "server/runtime.h"
#include "sim/event_queue.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

// One simulated time unit is 100 µs: a 10 ms Raft tick is kTick units.
inline constexpr std::chrono::microseconds kTimeUnit{100};
// The wall clock of every node at simulated time 0 (2026-01-01, in Unix ms).
inline constexpr uint64_t kWallEpochMs = 1'767'225'600'000ULL;

class SimRuntime : public server::Runtime {
 public:
  explicit SimRuntime(EventQueue& queue) : queue_(queue) {}

  Clock::time_point now() const override {
    return Clock::time_point(std::chrono::duration_cast<Clock::duration>(kTimeUnit * queue_.now()));
  }
  uint64_t wall_ms() const override {
    const int64_t ms = static_cast<int64_t>(kWallEpochMs) +
                       static_cast<int64_t>(queue_.now() * kTimeUnit.count() / 1000) +
                       wall_offset_ms_;
    return static_cast<uint64_t>(ms);
  }
  void post(std::function<void()> fn) override { schedule(0, std::move(fn)); }
  void after(std::chrono::nanoseconds delay, std::function<void()> fn) override {
    const auto units = (delay + kTimeUnit - std::chrono::nanoseconds(1)) / kTimeUnit;
    schedule(static_cast<Time>(std::max<int64_t>(units, 0)), std::move(fn));
  }

  // Runs `fn` as part of this node after `delay` (network deliveries, client requests,
  // disk completions): held while paused, dropped after a crash.
  void schedule(Time delay, std::function<void()> fn) {
    const uint64_t incarnation = incarnation_;
    queue_.after(delay, [this, incarnation, fn = std::move(fn)]() mutable {
      if (incarnation != incarnation_) return;
      if (paused_) {
        held_.push_back(std::move(fn));
        return;
      }
      fn();
    });
  }

  // The wall clock jumps by `delta_ms` (negative: backwards).
  void step_wall_clock(int64_t delta_ms) { wall_offset_ms_ += delta_ms; }
  int64_t wall_offset_ms() const { return wall_offset_ms_; }

  bool paused() const { return paused_; }
  void pause() { paused_ = true; }
  void resume() {
    paused_ = false;
    while (!paused_ && !held_.empty()) {
      std::function<void()> fn = std::move(held_.front());
      held_.pop_front();
      fn();  // a crash inside clears held_
    }
  }
  // The process dies: nothing it scheduled runs any more.
  void crash() {
    ++incarnation_;
    paused_ = false;
    held_.clear();
  }

 private:
  EventQueue& queue_;
  uint64_t incarnation_ = 0;
  bool paused_ = false;
  std::deque<std::function<void()>> held_;
  int64_t wall_offset_ms_ = 0;
};

}  // namespace raftkv::sim
