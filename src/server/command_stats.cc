#include "server/command_stats.h"

#include <fmt/format.h>

#include <bit>
#include <cctype>
#include <memory>
#include <utility>
#include <vector>

#include "kv/ascii.h"
#include "kv/resp_writer.h"

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

namespace {

// One command's {calls, histogram_usec}. Redis walks its HdrHistogram (two significant
// digits) at 1024 ns, 2048 ns, ... and names each step by the highest value equivalent to
// it, in microseconds (1, 2, 4, 8, 16, 33, 66, ...), with the count of values up to it;
// steps that add nothing are left out.
void write_cdf(const LatencyHistogram& h, kv::RespWriter* w) {
  std::vector<std::pair<uint64_t, uint64_t>> steps;
  uint64_t previous = 0;
  for (uint64_t level = 1024; previous < h.count() && level < (uint64_t{1} << 41); level *= 2) {
    const uint64_t unit = uint64_t{1} << (std::bit_width(level) - 1 - 7);
    const uint64_t cumulative = h.count_at_most(level + unit - 1);
    if (cumulative > previous) steps.emplace_back((level + unit - 1) / 1000, cumulative);
    previous = cumulative;
  }
  if (previous < h.count()) steps.emplace_back((uint64_t{1} << 41) / 1000, h.count());
  w->array_header(4);
  w->bulk("calls");
  w->integer(static_cast<int64_t>(h.count()));
  w->bulk("histogram_usec");
  w->array_header(2 * steps.size());
  for (const auto& [usec, count] : steps) {
    w->integer(static_cast<int64_t>(usec));
    w->integer(static_cast<int64_t>(count));
  }
}

}  // namespace

std::string latency_histogram_reply(const CommandCounters& counters,
                                    std::span<const std::string> names) {
  std::vector<std::pair<std::string, const LatencyHistogram*>> rows;
  const auto add = [&](std::string_view name, const CommandResultCounts& row) {
    if (row.latency && row.latency->count() > 0) rows.emplace_back(name, row.latency.get());
  };
  if (names.empty()) {
    for_each_reported_row(counters, add);
  }
  for (const std::string& asked : names) {
    const std::string name = kv::ascii_lower(asked);
    if (auto sub = counters.sub_rows().find(name); sub != counters.sub_rows().end()) {
      add(name, sub->second);  // "config|get"
      continue;
    }
    const kv::CommandSpec* spec = kv::find_command(name);
    if (spec == nullptr) continue;  // as Redis: an unknown name is skipped
    if (!counted_by_subcommand(spec->id)) {
      add(spec->name, counters.row(spec->id));
      continue;
    }
    const std::string prefix = name + "|";
    for (auto it = counters.sub_rows().lower_bound(prefix);
         it != counters.sub_rows().end() && it->first.starts_with(prefix); ++it) {
      add(it->first, it->second);
    }
  }
  std::string out;
  kv::RespWriter w(&out);
  w.array_header(2 * rows.size());
  for (const auto& [name, h] : rows) {
    w.bulk(name);
    write_cdf(*h, &w);
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
