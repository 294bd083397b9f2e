// Commands by name and result, for raftkv_commands_total and INFO commandstats and
// latencystats. Counted on the io thread, where every command is handled and every reply
// completed: plain integers, no atomics or locks on the request path (a scrape or INFO
// reads them on the same thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "kv/commands.h"
#include "server/latency_histogram.h"

namespace raftkv::server {

// What a reply says about the command, from its first bytes.
enum class CommandResult : uint8_t {
  kOk,        // anything but an error reply
  kError,     // an error reply of the command itself (syntax, WRONGTYPE, ...)
  kRedirect,  // -MOVED or -CLUSTERDOWN: not executed here, go to the leader
  kRetry,     // -TRYAGAIN: not executed
  kUnknown,   // -UNKNOWN: a write whose outcome is not known
};
inline constexpr size_t kCommandResults = 5;
std::string_view to_string(CommandResult r);

inline CommandResult classify_reply(std::string_view reply) {
  if (reply.empty() || reply[0] != '-') return CommandResult::kOk;
  if (reply.starts_with("-MOVED ") || reply.starts_with("-CLUSTERDOWN ")) {
    return CommandResult::kRedirect;
  }
  if (reply.starts_with("-TRYAGAIN ")) return CommandResult::kRetry;
  if (reply.starts_with("-UNKNOWN ")) return CommandResult::kUnknown;
  return CommandResult::kError;
}

// One command's replies, by result, and (INFO commandstats) how Redis counts them: calls
// that executed, with their time and latencies; calls refused before executing (syntax,
// arity, a redirect or -TRYAGAIN); executed calls that answered an error.
struct CommandResultCounts {
  std::array<uint64_t, kCommandResults> n{};
  uint64_t calls = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  uint64_t total_ns = 0;
  std::unique_ptr<LatencyHistogram> latency;  // from the first executed call on
  void count(std::string_view reply) { ++n[static_cast<size_t>(classify_reply(reply))]; }
};

class CommandCounters {
 public:
  // The row of a classified command, or of the unknown ones (spec == nullptr).
  CommandResultCounts& row(const kv::CommandSpec* spec) {
    return spec ? rows_[static_cast<size_t>(spec->id)] : unknown_;
  }
  const CommandResultCounts& row(kv::CommandId id) const { return rows_[static_cast<size_t>(id)]; }
  const CommandResultCounts& unknown() const { return unknown_; }

  // Commands with subcommands (CLIENT, CONFIG, XGROUP, ...) are also counted by subcommand,
  // which is how Redis 7 reports them in INFO commandstats and latencystats
  // ("cmdstat_client|list"). `sub` is argv[1], any case. Null once kMaxSubRows names were
  // seen: a client sending made-up subcommands cannot grow this without bound.
  CommandResultCounts* sub_row(const kv::CommandSpec& spec, std::string_view sub);
  // "client|list" -> its counts, in name order.
  const std::map<std::string, CommandResultCounts, std::less<>>& sub_rows() const {
    return sub_rows_;
  }
  static constexpr size_t kMaxSubRows = 256;

  // CONFIG RESETSTAT: what INFO commandstats and latencystats report starts again; the
  // replies by result (/metrics counters, which must only grow) are kept.
  void reset_info_stats() {
    for (CommandResultCounts& row : rows_) reset_info_stats(row);
    reset_info_stats(unknown_);
    sub_rows_.clear();  // only INFO reads them
  }

 private:
  static void reset_info_stats(CommandResultCounts& row) {
    row.calls = row.rejected_calls = row.failed_calls = row.total_ns = 0;
    row.latency.reset();
  }

  // Indexed by CommandId, whose underlying type is uint8_t: every id has a row.
  std::array<CommandResultCounts, 256> rows_{};
  CommandResultCounts unknown_;
  std::map<std::string, CommandResultCounts, std::less<>> sub_rows_;
};

// Whether INFO reports this command by subcommand (see CommandCounters::sub_row).
// Inline: asked for every reply.
inline bool counted_by_subcommand(kv::CommandId id) {
  using kv::CommandId;
  switch (id) {
    case CommandId::kClient:
    case CommandId::kCommand:
    case CommandId::kConfig:
    case CommandId::kCluster:
    case CommandId::kMemory:
    case CommandId::kSlowlog:
    case CommandId::kLatency:
    case CommandId::kScript:
    case CommandId::kFunction:
    case CommandId::kXgroup:
    case CommandId::kXinfo:
    case CommandId::kAcl:
    case CommandId::kRaft:
    case CommandId::kSession:
      return true;
    default:
      return false;
  }
}

}  // namespace raftkv::server
