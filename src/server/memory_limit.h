// maxmemory with Redis's noeviction policy: once the heap is over the limit, commands that
// may grow the data set are refused with -OOM, while reads and commands that only shrink
// it (DEL, LPOP, EXPIRE, FLUSHALL, ...) still run. Only proposals are refused: a follower
// applies every committed entry whatever its memory, or replicas would diverge.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace raftkv::server {

inline constexpr std::string_view kOomError =
    "OOM command not allowed when used memory > 'maxmemory'.";

class MemoryLimit {
 public:
  // `used` reads the heap size (heap_stats.h); reading it costs a few microseconds with
  // jemalloc (an epoch refresh), so it is read at most once per `refresh_ms`.
  MemoryLimit(uint64_t max_bytes, std::function<uint64_t()> used, uint64_t refresh_ms = 1)
      : max_(max_bytes), used_(std::move(used)), refresh_ms_(refresh_ms) {}

  // CONFIG SET maxmemory: in effect from the next check (0: no limit).
  void set_max(uint64_t max_bytes) {
    max_ = max_bytes;
    read_once_ = false;
  }

  // Whether there is a limit at all (without one, callers need not read the clock).
  bool enabled() const { return max_ != 0; }

  // Whether the heap is over the limit, as of at most refresh_ms before `now_ms`.
  bool over(uint64_t now_ms) {
    if (max_ == 0) return false;
    if (!read_once_ || now_ms >= read_at_ + refresh_ms_ || now_ms < read_at_) {
      last_ = used_();
      read_at_ = now_ms;
      read_once_ = true;
    }
    return last_ > max_;
  }

 private:
  uint64_t max_;
  std::function<uint64_t()> used_;
  uint64_t refresh_ms_;
  uint64_t last_ = 0;
  uint64_t read_at_ = 0;
  bool read_once_ = false;
};

}  // namespace raftkv::server
