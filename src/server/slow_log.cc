#include "server/slow_log.h"

#include <algorithm>
#include <ctime>

#include "kv/ascii.h"
#include "kv/commands.h"
#include "kv/int_parse.h"
#include "kv/resp_writer.h"

namespace raftkv::server {

namespace {

constexpr std::string_view kHelp[] = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
};

}  // namespace

void SlowLog::set_settings(SlowLogSettings s) {
  settings_ = s;
  while (entries_.size() > settings_.max_len) entries_.pop_back();
}

void SlowLog::add(uint64_t duration_us, std::span<const std::string> argv, std::string client_addr,
                  std::string client_name) {
  if (settings_.max_len == 0) return;
  Entry e{next_id_++,
          static_cast<int64_t>(std::time(nullptr)),
          duration_us,
          {},
          std::move(client_addr),
          std::move(client_name)};
  // As Redis's slowlogCreateEntry: at most 32 arguments, the last of them saying how many
  // more there were, and each at most 128 bytes plus how many more it had.
  const size_t n = std::min(argv.size(), kMaxArgs);
  e.argv.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (n != argv.size() && i == n - 1) {
      e.argv.push_back("... (" + std::to_string(argv.size() - n + 1) + " more arguments)");
    } else if (argv[i].size() > kMaxArgBytes) {
      e.argv.push_back(argv[i].substr(0, kMaxArgBytes) + "... (" +
                       std::to_string(argv[i].size() - kMaxArgBytes) + " more bytes)");
    } else {
      e.argv.push_back(argv[i]);
    }
  }
  entries_.push_front(std::move(e));
  while (entries_.size() > settings_.max_len) entries_.pop_back();
}

std::string SlowLog::get(int64_t count) const {
  const size_t n =
      count < 0 ? entries_.size() : std::min(entries_.size(), static_cast<size_t>(count));
  std::string out;
  kv::RespWriter w(&out);
  w.array_header(n);
  for (size_t i = 0; i < n; ++i) {
    const Entry& e = entries_[i];
    w.array_header(6);
    w.integer(static_cast<int64_t>(e.id));
    w.integer(e.unix_time);
    w.integer(static_cast<int64_t>(e.duration_us));
    w.array_header(e.argv.size());
    for (const std::string& a : e.argv) w.bulk(a);
    w.bulk(e.client_addr);
    w.bulk(e.client_name);
  }
  return out;
}

std::string SlowLog::command(std::span<const std::string> argv) {
  const std::string sub = kv::ascii_lower(argv[1]);
  if (sub == "help" && argv.size() == 2) {
    std::string out;
    kv::RespWriter w(&out);
    w.help_lines(kHelp);
    return out;
  }
  if (sub == "reset" && argv.size() == 2) {
    entries_.clear();
    return kv::encode_simple("OK");
  }
  if (sub == "len" && argv.size() == 2) {
    std::string out;
    kv::RespWriter(&out).integer(static_cast<int64_t>(entries_.size()));
    return out;
  }
  if (sub == "get" && argv.size() <= 3) {
    int64_t count = 10;
    if (argv.size() == 3) {
      auto n = kv::parse_int64(argv[2]);
      if (!n || *n < -1) return kv::encode_error("ERR count should be greater than or equal to -1");
      count = *n;
    }
    return get(count);
  }
  if (sub == "len" || sub == "reset" || sub == "help") {
    return kv::encode_error(kv::wrong_arity_error("slowlog|" + sub));
  }
  if (sub == "get") {
    return kv::encode_error("ERR unknown subcommand or wrong number of arguments for '" + argv[1] +
                            "'. Try SLOWLOG HELP.");
  }
  return kv::encode_error(kv::unknown_subcommand_error(argv[1], "slowlog"));
}

}  // namespace raftkv::server
