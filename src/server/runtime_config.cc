#include "server/runtime_config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>

#include "kv/ascii.h"
#include "kv/glob.h"
#include "kv/int_parse.h"
#include "server/options.h"

namespace raftkv::server {

namespace {

constexpr uint64_t kInt64Max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// A CONFIG SET value check: empty, or Redis's reason (after "... - ").
using Setter = std::string (*)(RuntimeSettings&, const std::string&);
using Getter = std::string (*)(const RuntimeSettings&);

struct Param {
  std::string_view name;
  Getter get;
  Setter set;  // null: reported, not settable
};

std::string range_error(int64_t min, uint64_t max) {
  return "argument must be between " + std::to_string(min) + " and " + std::to_string(max) +
         " inclusive";
}

// Redis's integer parameters: a plain integer (no sign, spaces or decimals but '-').
std::string set_integer(const std::string& text, int64_t min, uint64_t max, int64_t* out) {
  auto v = kv::parse_int64(text);
  if (!v) return "argument couldn't be parsed into an integer";
  if (*v < min || (*v >= 0 && static_cast<uint64_t>(*v) > max)) return range_error(min, max);
  *out = *v;
  return "";
}

std::string set_unsigned(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  int64_t v = 0;
  if (auto err = set_integer(text, static_cast<int64_t>(min), max, &v); !err.empty()) return err;
  *out = static_cast<uint64_t>(v);
  return "";
}

// Redis's memory parameters (memtoull): 100, 1kb, 2gb...
std::string set_memory(const std::string& text, uint64_t min, uint64_t max, uint64_t* out) {
  auto v = parse_memory_size(text);
  if (!v) return "argument must be a memory value";
  if (*v < min || *v > max) return range_error(static_cast<int64_t>(min), max);
  *out = *v;
  return "";
}

// "<class> <hard> <soft> <seconds>" groups, as Redis's client-output-buffer-limit. raftkv
// has no replica clients (replication is Raft's): that class is accepted and ignored.
std::string set_output_limits(RuntimeSettings& s, const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.size() % 4 != 0) return "Wrong number of arguments in buffer limit configuration.";
  RuntimeSettings next = s;
  for (size_t i = 0; i < words.size(); i += 4) {
    const std::string cls = kv::ascii_lower(words[i]);
    OutputBufferLimit* target = cls == "normal"   ? &next.output
                                : cls == "pubsub" ? &next.pubsub
                                                  : nullptr;
    if (target == nullptr && cls != "replica" && cls != "slave") {
      return "Invalid client class specified in buffer limit configuration.";
    }
    auto hard = parse_memory_size(words[i + 1]);
    auto soft = parse_memory_size(words[i + 2]);
    auto seconds = kv::parse_int64(words[i + 3]);
    if (!hard || !soft || !seconds || *seconds < 0) {
      return "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
    }
    if (target != nullptr) *target = {*hard, *soft, static_cast<uint64_t>(*seconds)};
  }
  s = next;
  return "";
}

std::string set_policy(RuntimeSettings&, const std::string& text) {
  static constexpr std::string_view kPolicies[] = {
      "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
      "allkeys-lru",  "allkeys-lfu",  "allkeys-random"};
  const std::string policy = kv::ascii_lower(text);
  if (policy == "noeviction") return "";
  for (std::string_view p : kPolicies) {
    if (p == policy) {
      return "raftkv supports only noeviction: a replicated store never evicts keys behind "
             "its clients' backs";
    }
  }
  return "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
         "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction";
}

std::string number(uint64_t v) {
  return std::to_string(v);
}

// Ranges are raftkv's where they are narrower than Redis's (options.cc says why).
constexpr Param kParams[] = {
    {"maxclients", [](const RuntimeSettings& s) { return number(s.maxclients); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_unsigned(v, 1, 1000000, &s.maxclients);
     }},
    {"timeout", [](const RuntimeSettings& s) { return number(s.timeout_seconds); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_unsigned(v, 0, 2147483647, &s.timeout_seconds);
     }},
    {"client-output-buffer-limit",
     [](const RuntimeSettings& s) { return format_output_buffer_limit(s.output, s.pubsub); },
     set_output_limits},
    {"client-query-buffer-limit",
     [](const RuntimeSettings& s) { return number(s.client_query_buffer_limit); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_memory(v, 1024 * 1024, kInt64Max, &s.client_query_buffer_limit);
     }},
    {"proto-max-bulk-len", [](const RuntimeSettings& s) { return number(s.proto_max_bulk_len); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_memory(v, 1024, uint64_t{64} << 20, &s.proto_max_bulk_len);
     }},
    {"slowlog-log-slower-than",
     [](const RuntimeSettings& s) { return std::to_string(s.slowlog.log_slower_than_us); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_integer(v, -1, kInt64Max, &s.slowlog.log_slower_than_us);
     }},
    {"slowlog-max-len", [](const RuntimeSettings& s) { return number(s.slowlog.max_len); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_unsigned(v, 0, 1000000, &s.slowlog.max_len);
     }},
    {"maxmemory", [](const RuntimeSettings& s) { return number(s.maxmemory); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_memory(v, 0, std::numeric_limits<uint64_t>::max(), &s.maxmemory);
     }},
    {"maxmemory-policy", [](const RuntimeSettings&) { return std::string("noeviction"); },
     set_policy},
    {"snapshot-entries", [](const RuntimeSettings& s) { return number(s.snapshot_entries); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_unsigned(v, 0, kInt64Max, &s.snapshot_entries);
     }},
    {"snapshot-bytes", [](const RuntimeSettings& s) { return number(s.snapshot_bytes); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_memory(v, 0, kInt64Max, &s.snapshot_bytes);
     }},
    {"snapshot-growth-percent",
     [](const RuntimeSettings& s) { return number(s.snapshot_growth_percent); },
     [](RuntimeSettings& s, const std::string& v) {
       return set_unsigned(v, 0, 100000, &s.snapshot_growth_percent);
     }},
    // Redis's protected-mode refusal tells the operator to CONFIG SET it.
    {"protected-mode",
     [](const RuntimeSettings& s) { return std::string(s.protected_mode ? "yes" : "no"); },
     [](RuntimeSettings& s, const std::string& v) {
       const std::string yes_no = kv::ascii_lower(v);
       if (yes_no != "yes" && yes_no != "no") return std::string("argument must be 'yes' or 'no'");
       s.protected_mode = yes_no == "yes";
       return std::string();
     }},
    // Fixed at start: the default user's password changes through ACL SETUSER (replicated).
    {"requirepass", [](const RuntimeSettings& s) { return s.requirepass; }, nullptr},
};

const Param* find_param(std::string_view name) {
  const std::string lowered = kv::ascii_lower(name);
  for (const Param& p : kParams) {
    if (p.name == lowered) return &p;
  }
  return nullptr;
}

bool is_fixed(std::string_view name) {
  const std::string lowered = kv::ascii_lower(name);
  for (const auto& [fixed, _] : kv::fixed_config_values()) {
    if (fixed == lowered) return true;
  }
  return false;
}

std::string set_failed(std::string_view name, std::string_view why) {
  return "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) + "') - " +
         std::string(why);
}

constexpr std::string_view kHelp[] = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Print this help.",
};

std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The key a config-file line sets ("key = value", "key=value"), or empty.
std::string_view line_key(std::string_view line) {
  size_t b = line.find_first_not_of(" \t");
  if (b == std::string_view::npos || line[b] == '#' || line[b] == ';' || line[b] == '[') return {};
  size_t eq = line.find('=', b);
  if (eq == std::string_view::npos) return {};
  size_t e = line.find_last_not_of(" \t", eq - 1);
  if (e == std::string_view::npos || e < b) return {};
  return line.substr(b, e - b + 1);
}

}  // namespace

RuntimeSettings RuntimeSettings::from(const ServerOptions& o) {
  RuntimeSettings s;
  s.maxclients = o.maxclients;
  s.timeout_seconds = o.timeout_seconds;
  s.client_query_buffer_limit = o.client_query_buffer_limit;
  s.proto_max_bulk_len = o.proto_max_bulk_len;
  s.output = o.client_output_buffer_limit;
  s.pubsub = o.client_output_buffer_limit_pubsub;
  s.slowlog = o.slowlog;
  s.maxmemory = o.maxmemory;
  s.snapshot_entries = o.snapshot_entries;
  s.snapshot_bytes = o.snapshot_bytes;
  s.snapshot_growth_percent = o.snapshot_growth_percent;
  s.protected_mode = o.protected_mode;
  s.requirepass = o.requirepass;
  return s;
}

std::vector<std::pair<std::string, std::string>> config_file_entries(const RuntimeSettings& s) {
  auto sizes = [](const OutputBufferLimit& l) {
    return std::to_string(l.hard) + " " + std::to_string(l.soft) + " " +
           std::to_string(l.soft_seconds);
  };
  return {
      {"maxclients", number(s.maxclients)},
      {"timeout", number(s.timeout_seconds)},
      {"client-output-buffer-limit", quoted("normal " + sizes(s.output))},
      {"client-output-buffer-limit-pubsub", quoted(sizes(s.pubsub))},
      {"client-query-buffer-limit", quoted(number(s.client_query_buffer_limit))},
      {"proto-max-bulk-len", quoted(number(s.proto_max_bulk_len))},
      {"slowlog-log-slower-than", std::to_string(s.slowlog.log_slower_than_us)},
      {"slowlog-max-len", number(s.slowlog.max_len)},
      {"maxmemory", quoted(number(s.maxmemory))},
      {"protected-mode", quoted(s.protected_mode ? "yes" : "no")},
      {"snapshot-entries", number(s.snapshot_entries)},
      {"snapshot-bytes", number(s.snapshot_bytes)},
      {"snapshot-growth-percent", number(s.snapshot_growth_percent)},
  };
}

std::string rewrite_config_text(std::string_view old_text,
                                const std::vector<std::pair<std::string, std::string>>& entries,
                                const std::function<bool(std::string_view key)>& changed) {
  std::vector<bool> written(entries.size(), false);
  std::string out;
  size_t pos = 0;
  while (pos < old_text.size()) {
    size_t end = old_text.find('\n', pos);
    const size_t next = end == std::string_view::npos ? old_text.size() : end + 1;
    const std::string_view line = old_text.substr(pos, next - pos);
    pos = next;
    const std::string_view key = line_key(line);
    size_t i = 0;
    while (i < entries.size() && entries[i].first != key) ++i;
    if (key.empty() || i == entries.size()) {
      out += line;
      if (!line.ends_with('\n')) out += '\n';
      continue;
    }
    if (written[i]) continue;  // set twice: the first line holds the value now
    written[i] = true;
    out += entries[i].first + " = " + entries[i].second + "\n";
  }
  bool header = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (written[i] || !changed(entries[i].first)) continue;
    if (!header) out += "# Written by CONFIG REWRITE\n";
    header = true;
    out += entries[i].first + " = " + entries[i].second + "\n";
  }
  return out;
}

std::string write_file_atomically(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".rewrite.tmp";
  auto fail = [&](const char* what) {
    std::string err = std::string(what) + " " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create");
  for (size_t done = 0; done < text.size();) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return fail("cannot write");
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("cannot rename");
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  if (int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);  // the rename itself survives a crash
    ::close(dfd);
  }
  return "";
}

RuntimeConfig::RuntimeConfig(RuntimeSettings settings, std::string config_file, Hooks hooks)
    : settings_(std::move(settings)),
      config_file_(std::move(config_file)),
      hooks_(std::move(hooks)) {}

std::string RuntimeConfig::set(std::span<const std::string> pairs) {
  // Names first, as Redis: an unknown, fixed or repeated name fails before any value is read.
  std::vector<const Param*> params;
  for (size_t i = 0; i < pairs.size(); i += 2) {
    const Param* p = find_param(pairs[i]);
    if (p == nullptr && !is_fixed(pairs[i])) {
      return "ERR Unknown option or number of arguments for CONFIG SET - '" + pairs[i] + "'";
    }
    if (p == nullptr || p->set == nullptr)
      return set_failed(pairs[i], "can't set immutable config");
    for (const Param* seen : params) {
      if (seen == p) return set_failed(pairs[i], "duplicate parameter");
    }
    params.push_back(p);
  }
  RuntimeSettings next = settings_;
  for (size_t i = 0; i < params.size(); ++i) {
    if (auto err = params[i]->set(next, pairs[2 * i + 1]); !err.empty()) {
      return set_failed(pairs[2 * i], err);
    }
  }
  if (next.proto_max_bulk_len >= next.client_query_buffer_limit) {
    return set_failed("proto-max-bulk-len", "must be smaller than client-query-buffer-limit");
  }
  if (next.maxclients > settings_.maxclients && hooks_.reserve_clients) {
    if (uint64_t fit = hooks_.reserve_clients(next.maxclients); fit < next.maxclients) {
      return set_failed("maxclients",
                        "The operating system is not able to handle the specified number of "
                        "clients, try with " +
                            std::to_string(fit));
    }
  }
  settings_ = next;
  if (hooks_.on_change) hooks_.on_change(settings_);
  return "";
}

std::vector<std::pair<std::string, std::string>> RuntimeConfig::get(
    std::span<const std::string> patterns) const {
  std::vector<std::pair<std::string, std::string>> hits;
  std::vector<std::string> lowered;
  for (const std::string& p : patterns) lowered.push_back(kv::ascii_lower(p));
  auto matches = [&](std::string_view name) {
    for (const std::string& p : lowered) {
      if (kv::glob_match(p, name)) return true;
    }
    return false;
  };
  for (const auto& [name, value] : kv::fixed_config_values()) {
    if (matches(name)) hits.emplace_back(name, value);
  }
  for (const Param& p : kParams) {
    if (matches(p.name)) hits.emplace_back(p.name, p.get(settings_));
  }
  return hits;
}

std::string RuntimeConfig::rewrite() const {
  if (config_file_.empty()) return "ERR The server is running without a config file";
  std::string old_text;
  if (std::ifstream in(config_file_); in) {
    std::ostringstream buf;
    buf << in.rdbuf();
    old_text = buf.str();
  }
  const auto entries = config_file_entries(settings_);
  const auto defaults = config_file_entries(RuntimeSettings{});
  auto changed = [&](std::string_view key) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].first == key) return entries[i].second != defaults[i].second;
    }
    return false;
  };
  const std::string text = rewrite_config_text(old_text, entries, changed);
  if (auto err = write_file_atomically(config_file_, text); !err.empty()) {
    return "ERR Rewriting config file: " + err;
  }
  return "";
}

void RuntimeConfig::config(std::span<const std::string> argv, kv::RespWriter* out) {
  const std::string sub = kv::ascii_lower(argv[1]);
  if (sub == "get") {
    if (argv.size() < 3) return out->error(kv::wrong_arity_error("config|get"));
    const auto hits = get(argv.subspan(2));
    out->array_header(hits.size() * 2);
    for (const auto& [name, value] : hits) {
      out->bulk(name);
      out->bulk(value);
    }
    return;
  }
  if (sub == "set") {
    if (argv.size() < 4) return out->error(kv::wrong_arity_error("config|set"));
    if (argv.size() % 2 != 0) return out->error("ERR syntax error");
    const std::string err = set(argv.subspan(2));
    return err.empty() ? out->simple("OK") : out->error(err);
  }
  if ((sub == "resetstat" || sub == "rewrite" || sub == "help") && argv.size() != 2) {
    return out->error(kv::wrong_arity_error("config|" + sub));
  }
  if (sub == "resetstat") {
    if (hooks_.reset_stats) hooks_.reset_stats();
    return out->simple("OK");
  }
  if (sub == "rewrite") {
    const std::string err = rewrite();
    return err.empty() ? out->simple("OK") : out->error(err);
  }
  if (sub == "help") return out->help_lines(kHelp);
  out->error(kv::unknown_subcommand_error(argv[1], "config"));
}

}  // namespace raftkv::server
