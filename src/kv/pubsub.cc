#include "kv/pubsub.h"

#include <algorithm>

#include "kv/ascii.h"
#include "kv/commands.h"
#include "kv/glob.h"

namespace raftkv::kv {

namespace {

// Adds `what` to a set and `client` to its subscriber list; false if it was there.
template <typename Index>
bool add(std::set<std::string, std::less<>>& mine, Index& index, uint64_t client,
         const std::string& what) {
  if (!mine.insert(what).second) return false;
  index[what].push_back(client);
  return true;
}

template <typename Index>
bool remove(std::set<std::string, std::less<>>& mine, Index& index, uint64_t client,
            const std::string& what) {
  auto mine_it = mine.find(what);
  if (mine_it == mine.end()) return false;
  mine.erase(mine_it);
  auto it = index.find(what);
  if (it != index.end()) {
    std::erase(it->second, client);
    if (it->second.empty()) index.erase(it);
  }
  return true;
}

void write_help(RespWriter* out) {
  static constexpr std::string_view kLines[] = {
      "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CHANNELS [<pattern>]",
      "    Return the currently active channels matching a <pattern> (default: '*').",
      "NUMPAT",
      "    Return number of subscriptions to patterns.",
      "NUMSUB [<channel> ...]",
      "    Return the number of subscribers for the specified channels, excluding",
      "    pattern subscriptions(default: no channels).",
      "SHARDCHANNELS [<pattern>]",
      "    Return the currently active shard level channels matching a <pattern> (default: "
      "'*').",
      "SHARDNUMSUB [<shardchannel> ...]",
      "    Return the number of subscribers for the specified shard level channel(s)",
      "HELP",
      "    Prints this help.",
  };
  out->help_lines(kLines);
}

}  // namespace

void write_push_header(RespWriter* out, size_t elements) {
  out->array_header(elements);
}

void write_subscription_frame(RespWriter* out, std::string_view kind, const std::string* channel,
                              size_t count) {
  write_push_header(out, 3);
  out->bulk(kind);
  if (channel != nullptr) {
    out->bulk(*channel);
  } else {
    out->null_bulk();
  }
  out->integer(static_cast<int64_t>(count));
}

std::string message_frame(std::string_view channel, std::string_view message,
                          std::string_view kind) {
  std::string frame;
  RespWriter out(&frame);
  write_push_header(&out, 3);
  out.bulk(kind);
  out.bulk(channel);
  out.bulk(message);
  return frame;
}

std::string pmessage_frame(std::string_view pattern, std::string_view channel,
                           std::string_view message) {
  std::string frame;
  RespWriter out(&frame);
  write_push_header(&out, 4);
  out.bulk("pmessage");
  out.bulk(pattern);
  out.bulk(channel);
  out.bulk(message);
  return frame;
}

std::string subscribed_mode_error(std::string_view command_name) {
  return "ERR Can't execute '" + std::string(command_name) +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

bool PubSubRegistry::subscribe(uint64_t client, const std::string& channel) {
  return add(clients_[client].channels, channels_, client, channel);
}

bool PubSubRegistry::psubscribe(uint64_t client, const std::string& pattern) {
  return add(clients_[client].patterns, patterns_, client, pattern);
}

bool PubSubRegistry::ssubscribe(uint64_t client, const std::string& channel) {
  return add(clients_[client].shards, shards_, client, channel);
}

bool PubSubRegistry::unsubscribe(uint64_t client, const std::string& channel) {
  return remove_subscription(client, channel, Kind::kChannel);
}

bool PubSubRegistry::punsubscribe(uint64_t client, const std::string& pattern) {
  return remove_subscription(client, pattern, Kind::kPattern);
}

bool PubSubRegistry::sunsubscribe(uint64_t client, const std::string& channel) {
  return remove_subscription(client, channel, Kind::kShard);
}

bool PubSubRegistry::remove_subscription(uint64_t client, const std::string& name, Kind kind) {
  auto it = clients_.find(client);
  if (it == clients_.end()) return false;
  Client& c = it->second;
  const bool removed = kind == Kind::kPattern ? remove(c.patterns, patterns_, client, name)
                       : kind == Kind::kShard ? remove(c.shards, shards_, client, name)
                                              : remove(c.channels, channels_, client, name);
  if (c.empty()) clients_.erase(it);
  return removed;
}

std::vector<std::string> PubSubRegistry::channels_of(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) return {};
  return {it->second.channels.begin(), it->second.channels.end()};
}

std::vector<std::string> PubSubRegistry::patterns_of(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) return {};
  return {it->second.patterns.begin(), it->second.patterns.end()};
}

std::vector<std::string> PubSubRegistry::shard_channels_of(uint64_t client) const {
  auto it = clients_.find(client);
  if (it == clients_.end()) return {};
  return {it->second.shards.begin(), it->second.shards.end()};
}

size_t PubSubRegistry::shard_count(uint64_t client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.shards.size();
}

size_t PubSubRegistry::channel_count(uint64_t client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.channels.size();
}

size_t PubSubRegistry::pattern_count(uint64_t client) const {
  auto it = clients_.find(client);
  return it == clients_.end() ? 0 : it->second.patterns.size();
}

void PubSubRegistry::remove_client(uint64_t client) {
  for (const std::string& channel : channels_of(client)) unsubscribe(client, channel);
  for (const std::string& pattern : patterns_of(client)) punsubscribe(client, pattern);
  for (const std::string& channel : shard_channels_of(client)) sunsubscribe(client, channel);
}

void PubSubRegistry::route(std::string_view channel, std::string_view message,
                           std::vector<Frame>* frames, std::vector<Delivery>* out) const {
  if (auto it = channels_.find(std::string(channel)); it != channels_.end()) {
    frames->push_back({message_frame(channel, message), {}, false});
    for (uint64_t client : it->second) out->push_back({client, frames->size() - 1});
  }
  for (const auto& [pattern, clients] : patterns_) {
    if (!glob_match(pattern, channel)) continue;
    frames->push_back({pmessage_frame(pattern, channel, message), pattern, true});
    for (uint64_t client : clients) out->push_back({client, frames->size() - 1});
  }
}

void PubSubRegistry::route_shard(std::string_view channel, std::string_view message,
                                 std::vector<Frame>* frames, std::vector<Delivery>* out) const {
  if (auto it = shards_.find(std::string(channel)); it != shards_.end()) {
    frames->push_back({message_frame(channel, message, "smessage"), {}, false});
    for (uint64_t client : it->second) out->push_back({client, frames->size() - 1});
  }
}

void PubSubRegistry::pubsub_command(std::span<const std::string> argv, RespWriter* out) const {
  const std::string sub = ascii_lower(argv[1]);
  if (sub == "help") {
    if (argv.size() != 2) return out->error(wrong_arity_error("pubsub|help"));
    return write_help(out);
  }
  if (sub == "numpat") {
    if (argv.size() != 2) return out->error(wrong_arity_error("pubsub|numpat"));
    return out->integer(static_cast<int64_t>(patterns_.size()));
  }
  if (sub == "channels" || sub == "shardchannels") {
    if (argv.size() > 3) {
      return out->error("ERR unknown subcommand or wrong number of arguments for '" +
                        argv[1].substr(0, 128) + "'. Try PUBSUB HELP.");
    }
    std::vector<std::string_view> names;
    for (const auto& [name, clients] : sub == "channels" ? channels_ : shards_) {
      if (argv.size() == 2 || glob_match(argv[2], name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    out->array_header(names.size());
    for (std::string_view name : names) out->bulk(name);
    return;
  }
  if (sub == "numsub" || sub == "shardnumsub") {
    out->array_header(2 * (argv.size() - 2));
    const auto& index = sub == "numsub" ? channels_ : shards_;
    for (size_t i = 2; i < argv.size(); ++i) {
      out->bulk(argv[i]);
      auto it = index.find(argv[i]);
      out->integer(it == index.end() ? 0 : static_cast<int64_t>(it->second.size()));
    }
    return;
  }
  out->error(unknown_subcommand_error(argv[1], "pubsub"));
}

}  // namespace raftkv::kv
