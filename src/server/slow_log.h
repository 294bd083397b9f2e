// SLOWLOG: the commands that took longer than slowlog-log-slower-than microseconds, newest
// first, at most slowlog-max-len of them, in Redis 7.0's format. A command's time runs from
// its arrival to its reply being ready, so for raftkv it includes the Raft round (commit
// or read confirmation), which is what a client waited for.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/argv.h"

namespace raftkv::server {

struct SlowLogSettings {
  int64_t log_slower_than_us = 10000;  // negative: log nothing; 0: log every command
  uint64_t max_len = 128;
};

class SlowLog {
 public:
  struct Entry {
    uint64_t id;
    int64_t unix_time;
    uint64_t duration_us;
    kv::Argv argv;  // truncated as Redis does (kMaxArgs, kMaxArgBytes)
    std::string client_addr;
    std::string client_name;
  };
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  explicit SlowLog(SlowLogSettings settings = {}) : settings_(settings) {}
  const SlowLogSettings& settings() const { return settings_; }
  void set_settings(SlowLogSettings s);

  // True if a command that took `duration_us` is logged (the caller then calls add()).
  bool is_slow(uint64_t duration_us) const {
    return settings_.log_slower_than_us >= 0 &&
           duration_us >= static_cast<uint64_t>(settings_.log_slower_than_us);
  }
  void add(uint64_t duration_us, std::span<const std::string> argv, std::string client_addr,
           std::string client_name);
  // The SLOWLOG command (argv[0] is SLOWLOG): RESP bytes of the reply.
  std::string command(std::span<const std::string> argv);
  const std::deque<Entry>& entries() const { return entries_; }

 private:
  std::string get(int64_t count) const;

  SlowLogSettings settings_;
  std::deque<Entry> entries_;  // newest first
  uint64_t next_id_ = 0;
};

}  // namespace raftkv::server
