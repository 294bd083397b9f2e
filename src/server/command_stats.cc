#include "server/command_stats.h"

#include <fmt/format.h>

#include <cctype>
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

CommandResultCounts* CommandCounters::sub_row(const kv::CommandSpec& spec, std::string_view sub) {
  std::string name(spec.name);
  name += '|';
  for (char c : sub.substr(0, 64)) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (auto it = sub_rows_.find(name); it != sub_rows_.end()) return &it->second;
  if (sub_rows_.size() >= kMaxSubRows) return nullptr;
  return &sub_rows_[std::move(name)];
}

namespace {

// Redis counts a redirect as a rejected call (processCommand refuses it before call()),
// and so is -TRYAGAIN here: neither executed. False for those.
[[gnu::always_inline]] inline bool count_into(CommandResultCounts& row, CommandResult result,
                                              bool rejected, uint64_t elapsed_ns) {
  ++row.n[static_cast<size_t>(result)];
  if (rejected || result == CommandResult::kRedirect || result == CommandResult::kRetry) {
    ++row.rejected_calls;
    return false;
  }
  ++row.calls;
  if (result != CommandResult::kOk) ++row.failed_calls;
  row.total_ns += elapsed_ns;
  if (!row.latency) row.latency = std::make_unique<LatencyHistogram>();
  row.latency->record(elapsed_ns);
  return true;
}

}  // namespace

void account_reply(ServerStats& stats, const kv::CommandSpec* spec, uint64_t elapsed_ns,
                   bool rejected, std::string_view reply, std::span<const std::string> argv,
                   const ReplyTarget& target) {
  const CommandResult result = classify_reply(reply);
  if (result != CommandResult::kOk) stats.error_counts.count(reply);
  if (spec != nullptr && argv.size() >= 2 && counted_by_subcommand(spec->id) &&
      !reply.starts_with("-ERR unknown subcommand")) {  // as Redis: no row for a made-up one
    if (CommandResultCounts* sub = stats.commands.sub_row(*spec, argv[1])) {
      count_into(*sub, result, rejected, elapsed_ns);
    }
  }
  if (!count_into(stats.commands.row(spec), result, rejected, elapsed_ns)) return;
  const uint64_t us = elapsed_ns / 1000;
  if (!stats.slowlog.is_slow(us)) return;
  const std::string name(spec ? spec->name : "");
  stats.slowlog.add(us, argv.empty() ? std::span<const std::string>(&name, 1) : argv,
                    target.client_addr(), target.client_name());
}

namespace {

// Each command's row, and for commands with subcommands each subcommand's row instead,
// as Redis 7 lists them.
template <typename Fn>
void for_each_reported_row(const CommandCounters& counters, Fn&& fn) {
  for (const kv::CommandSpec& spec : kv::command_table()) {
    if (!counted_by_subcommand(spec.id)) fn(std::string_view(spec.name), counters.row(spec.id));
  }
  for (const auto& [name, row] : counters.sub_rows()) fn(std::string_view(name), row);
}

}  // namespace

std::string info_commandstats(const CommandCounters& counters) {
  std::string out = "# Commandstats\r\n";
  for_each_reported_row(counters, [&](std::string_view name, const CommandResultCounts& row) {
    if (row.calls == 0 && row.rejected_calls == 0 && row.failed_calls == 0) return;
    const uint64_t usec = row.total_ns / 1000;
    const double per_call =
        row.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(row.calls);
    out += fmt::format(
        "cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
        name, row.calls, usec, per_call, row.rejected_calls, row.failed_calls);
  });
  return out;
}

std::string info_latencystats(const CommandCounters& counters) {
  std::string out = "# Latencystats\r\n";
  for_each_reported_row(counters, [&](std::string_view name, const CommandResultCounts& row) {
    if (!row.latency) return;
    const auto usec = [&](double p) {
      return static_cast<double>(row.latency->percentile(p)) / 1e3;
    };
    out += fmt::format("latency_percentiles_usec_{}:p50={:.3f},p99={:.3f},p99.9={:.3f}\r\n", name,
                       usec(50), usec(99), usec(99.9));
  });
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
