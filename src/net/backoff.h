// Exponential reconnect delay: initial, 2x, 4x, ... capped at max; reset after a
// connection proved healthy.
#pragma once

#include <algorithm>
#include <chrono>

namespace raftkv::net {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;

  Backoff(Duration initial, Duration max) : initial_(initial), max_(max), next_(initial) {}

  // The delay to wait now; the following call returns twice as much (up to max).
  Duration next() {
    const Duration current = next_;
    next_ = std::min(max_, next_ * 2);
    return current;
  }

  void reset() { next_ = initial_; }
  Duration max() const { return max_; }

 private:
  Duration initial_;
  Duration max_;
  Duration next_;
};

}  // namespace raftkv::net
