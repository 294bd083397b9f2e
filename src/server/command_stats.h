// What INFO commandstats, errorstats and latencystats and SLOWLOG report, counted as each
// reply completes (ReplySlot::complete), in Redis 7.0's formats.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "kv/commands.h"
#include "server/command_counters.h"

namespace raftkv::server {

class ReplyTarget;
struct ServerStats;

// Error replies by their first word (errorstat_ERR, errorstat_WRONGTYPE, ...). As Redis,
// at most kMaxPrefixes kinds are tracked; errors of further kinds are not counted there.
class ErrorCounts {
 public:
  static constexpr size_t kMaxPrefixes = 128;
  void count(std::string_view error_reply);
  uint64_t total() const { return total_; }
  void reset() {
    by_prefix_.clear();
    total_ = 0;
  }
  const std::map<std::string, uint64_t, std::less<>>& by_prefix() const { return by_prefix_; }

 private:
  std::map<std::string, uint64_t, std::less<>> by_prefix_;
  uint64_t total_ = 0;
};

// Counts one completed reply (see ReplySlot::account_into). Allocates only for a slow
// command's log entry, an error kind's first occurrence and a command's first call.
void account_reply(ServerStats& stats, const kv::CommandSpec* spec, uint64_t elapsed_ns,
                   bool rejected, std::string_view reply, std::span<const std::string> argv,
                   const ReplyTarget& target);

// The INFO sections, with their "# Name" headers.
std::string info_commandstats(const CommandCounters& counters);
std::string info_latencystats(const CommandCounters& counters);
std::string info_errorstats(const ErrorCounts& errors);

// LATENCY HISTOGRAM [command ...] (RESP2: a flat map), in Redis 7.0's format: for each
// command with timed calls (all, or those named; a container names its subcommands), its
// calls and a cumulative histogram at Redis's power-of-two microsecond steps.
std::string latency_histogram_reply(const CommandCounters& counters,
                                    std::span<const std::string> names);

}  // namespace raftkv::server
