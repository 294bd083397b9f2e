#include "server/client_limits.h"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <span>
#include <sstream>
#include <vector>

namespace raftkv::server {

namespace {
constexpr uint64_t kDefaultPauseBytes = uint64_t{64} << 20;
// Descriptors besides clients: log segments, snapshots, peer links, the listeners (Redis
// reserves 32 too, CONFIG_MIN_RESERVED_FDS).
constexpr uint64_t kReservedFds = 32;
}  // namespace

const std::string_view kMaxClientsError = "-ERR max number of clients reached\r\n";

// Copied from redis-server 7.0.15 (`strings /usr/bin/redis-server`), including its "Setup
// a an" (later versions say "Set up an"): clients match on the text.
const std::string_view kProtectedModeError =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you may "
    "adopt one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    "the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    "from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    "Alternatively you can just disable the protected mode by editing the Redis configuration "
    "file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    "If you started the server manually just for testing, restart it with the '--protected-mode "
    "no' option. 4) Setup a an authentication password for the default user. NOTE: You only "
    "need to do one of the above things in order for the server to start accepting connections "
    "from the outside.\r\n";

uint64_t encoded_size_bound(const kv::Argv& argv) {
  uint64_t bytes = 64;  // version, session, sequence, time and count, generously
  for (const std::string& arg : argv) bytes += arg.size() + 10;
  return bytes;
}

std::string command_too_large_error(uint64_t bytes) {
  return "ERR command too large to replicate: about " + std::to_string(bytes) +
         " bytes, the limit is " + std::to_string(kMaxCommandBytes) + "; not executed";
}

uint64_t output_pause_bytes(const OutputBufferLimit& limit) {
  if (limit.soft != 0) return limit.soft;
  if (limit.hard != 0) return limit.hard;
  return kDefaultPauseBytes;
}

std::optional<uint64_t> parse_memory_size(std::string_view text) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  std::string unit(text.substr(digits));
  std::transform(unit.begin(), unit.end(), unit.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::pair<std::string_view, uint64_t> kUnits[] = {
      {"", 1},           {"b", 1},
      {"k", 1000},       {"kb", 1024},
      {"m", 1000000},    {"mb", 1024 * 1024},
      {"g", 1000000000}, {"gb", uint64_t{1024} * 1024 * 1024},
  };
  auto unit_it = std::find_if(std::begin(kUnits), std::end(kUnits),
                              [&](const auto& u) { return u.first == unit; });
  if (unit_it == std::end(kUnits)) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, value);
  if (ec != std::errc() || end != text.data() + digits) return std::nullopt;
  if (value > std::numeric_limits<uint64_t>::max() / unit_it->second) return std::nullopt;
  return value * unit_it->second;
}

namespace {

std::vector<std::string> words_of(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// <hard> <soft> <soft-seconds>
std::string parse_sizes(std::span<const std::string> words, OutputBufferLimit* out) {
  auto hard = parse_memory_size(words[0]);
  auto soft = parse_memory_size(words[1]);
  uint64_t seconds = 0;
  auto [end, ec] = std::from_chars(words[2].data(), words[2].data() + words[2].size(), seconds);
  if (!hard || !soft) return "limits must be sizes such as 256mb or 1073741824";
  if (ec != std::errc() || end != words[2].data() + words[2].size()) {
    return "soft-seconds must be a non-negative integer";
  }
  *out = OutputBufferLimit{*hard, *soft, seconds};
  return "";
}

}  // namespace

std::string parse_output_buffer_limit(std::string_view text, OutputBufferLimit* out) {
  const std::vector<std::string> words = words_of(text);
  if (words.size() != 4) {
    return "expected 'normal <hard> <soft> <soft-seconds>', got '" + std::string(text) + "'";
  }
  if (words[0] == "pubsub") return "use --client-output-buffer-limit-pubsub for the pubsub class";
  if (words[0] != "normal") {
    return "class '" + words[0] + "' does not exist in raftkv (only 'normal' and 'pubsub')";
  }
  return parse_sizes(std::span<const std::string>(words).subspan(1), out);
}

std::string parse_output_buffer_sizes(std::string_view text, OutputBufferLimit* out) {
  const std::vector<std::string> words = words_of(text);
  if (words.size() != 3) {
    return "expected '<hard> <soft> <soft-seconds>', got '" + std::string(text) + "'";
  }
  return parse_sizes(words, out);
}

std::string format_output_buffer_limit(const OutputBufferLimit& limit) {
  return "normal " + std::to_string(limit.hard) + " " + std::to_string(limit.soft) + " " +
         std::to_string(limit.soft_seconds);
}

std::string format_output_buffer_limit(const OutputBufferLimit& normal,
                                       const OutputBufferLimit& pubsub) {
  return format_output_buffer_limit(normal) + " pubsub " + std::to_string(pubsub.hard) + " " +
         std::to_string(pubsub.soft) + " " + std::to_string(pubsub.soft_seconds);
}

uint64_t reserve_file_descriptors(uint64_t maxclients) {
  const uint64_t wanted = maxclients + kReservedFds;
  struct rlimit lim {};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return maxclients;
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < wanted) {
    struct rlimit raised = lim;
    raised.rlim_cur =
        lim.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, lim.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  if (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= wanted) return maxclients;
  const uint64_t fit = lim.rlim_cur > kReservedFds ? lim.rlim_cur - kReservedFds : 1;
  spdlog::warn("maxclients {} needs {} open files but the limit is {}: maxclients reduced to {}",
               maxclients, wanted, static_cast<uint64_t>(lim.rlim_cur), fit);
  return fit;
}

bool protected_mode_allows(const asio::ip::address& peer) {
  if (peer.is_loopback()) return true;
  if (peer.is_v6() && peer.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, peer.to_v6()).is_loopback();
  }
  return false;
}

}  // namespace raftkv::server
