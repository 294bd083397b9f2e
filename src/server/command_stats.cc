#include "server/command_stats.h"

#include <fmt/format.h>

#include <memory>

#include "server/reply_slot.h"
#include "server/server_stats.h"

namespace raftkv::server {

void ErrorCounts::count(std::string_view error_reply) {
  ++total_;
  // As Redis's afterErrorReply: the word after '-' up to a space within the first 32
  // bytes, else "ERR".
  std::string_view head = error_reply.substr(0, 32);
  std::string_view prefix = "ERR";
  if (size_t space = head.find(' '); space != std::string_view::npos && head.starts_with('-')) {
    prefix = head.substr(1, space - 1);
  }
  auto it = by_prefix_.find(prefix);
  if (it != by_prefix_.end()) {
    ++it->second;
  } else if (by_prefix_.size() < kMaxPrefixes) {
    by_prefix_.emplace(std::string(prefix), 1);
  }
}

void account_reply(ServerStats& stats, const kv::CommandSpec* spec, uint64_t elapsed_ns,
                   bool rejected, std::string_view reply, std::span<const std::string> argv,
                   const ReplyTarget& target) {
  CommandResultCounts& row = stats.commands.row(spec);
  const CommandResult result = classify_reply(reply);
  ++row.n[static_cast<size_t>(result)];
  if (result != CommandResult::kOk) stats.error_counts.count(reply);
  // Redis counts a redirect as a rejected call (processCommand refuses it before call()),
  // and so is -TRYAGAIN here: neither executed.
  if (rejected || result == CommandResult::kRedirect || result == CommandResult::kRetry) {
    ++row.rejected_calls;
    return;
  }
  ++row.calls;
  if (result != CommandResult::kOk) ++row.failed_calls;
  row.total_ns += elapsed_ns;
  if (!row.latency) row.latency = std::make_unique<LatencyHistogram>();
  row.latency->record(elapsed_ns);
  const uint64_t us = elapsed_ns / 1000;
  if (!stats.slowlog.is_slow(us)) return;
  const std::string name(spec ? spec->name : "");
  stats.slowlog.add(us, argv.empty() ? std::span<const std::string>(&name, 1) : argv,
                    target.client_addr(), target.client_name());
}

std::string info_commandstats(const CommandCounters& counters) {
  std::string out = "# Commandstats\r\n";
  for (const kv::CommandSpec& spec : kv::command_table()) {
    const CommandResultCounts& row = counters.row(spec.id);
    if (row.calls == 0 && row.rejected_calls == 0 && row.failed_calls == 0) continue;
    const uint64_t usec = row.total_ns / 1000;
    const double per_call =
        row.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(row.calls);
    out += fmt::format(
        "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
        spec.name, row.calls, usec, per_call, row.rejected_calls, row.failed_calls);
  }
  return out;
}

std::string info_latencystats(const CommandCounters& counters) {
  std::string out = "# Latencystats\r\n";
  for (const kv::CommandSpec& spec : kv::command_table()) {
    const CommandResultCounts& row = counters.row(spec.id);
    if (!row.latency) continue;
    const auto usec = [&](double p) {
      return static_cast<double>(row.latency->percentile(p)) / 1e3;
    };
    out += fmt::format("latency_percentiles_usec_{}:p50={:.3f},p99={:.3f},p99.9={:.3f}\r\n",
                       spec.name, usec(50), usec(99), usec(99.9));
  }
  return out;
}

std::string info_errorstats(const ErrorCounts& errors) {
  std::string out = "# Errorstats\r\n";
  for (const auto& [prefix, count] : errors.by_prefix()) {
    out += fmt::format("errorstat_{}:count={}\r\n", prefix, count);
  }
  return out;
}

}  // namespace raftkv::server
