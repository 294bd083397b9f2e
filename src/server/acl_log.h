// ACL LOG: this node's recent ACL refusals (a command or key a user may not use, a failed
// AUTH), grouped as Redis 7.0 groups them: an entry like the newest one (same reason,
// context, object and user) within 60 seconds counts again instead of adding a line. Like
// Redis's, the log is per node and not replicated; at most 128 entries (acllog-max-len).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>

namespace raftkv::server {

class AclLog {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxEntries = 128;

  // `reason`: "command", "key" or "auth"; `context`: "toplevel" or "multi".
  void add(std::string_view reason, std::string_view context, std::string_view object,
           std::string_view username, std::string client_info, Clock::time_point now);
  // ACL LOG [count | RESET]: the reply (RESP).
  std::string reply(std::span<const std::string> argv, Clock::time_point now);

 private:
  struct Entry {
    uint64_t count = 1;
    std::string reason, context, object, username, client_info;
    Clock::time_point created, updated;
  };
  std::deque<Entry> entries_;  // newest first
};

}  // namespace raftkv::server
