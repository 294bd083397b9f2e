// One steady-clock read for many completions: while a BatchClock::Scope is alive on this
// thread, BatchClock::now() returns the time read when it opened. The driver opens one
// around applying a Ready, which completes a batch of writes and reads together; each
// reply's latency (INFO latencystats, SLOWLOG) then costs no clock read of its own, at the
// price of counting the batch's own apply time to none of them (microseconds; a command's
// time is measured from its arrival, which includes the Raft round).
#pragma once

#include <chrono>

namespace raftkv::server {

class BatchClock {
 public:
  using Clock = std::chrono::steady_clock;

  static Clock::time_point now() { return depth_ > 0 ? at_ : Clock::now(); }

  class Scope {
   public:
    Scope() {
      if (depth_++ == 0) at_ = Clock::now();
    }
    ~Scope() { --depth_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
  };

 private:
  static inline thread_local int depth_ = 0;
  static inline thread_local Clock::time_point at_{};
};

}  // namespace raftkv::server
