// Pub/sub (SUBSCRIBE, PSUBSCRIBE, PUBLISH, PUBSUB): the frames Redis 7.0 pushes, and one
// node's subscriptions. No sockets: the server owns the connections and delivers the
// frames (server/pubsub_hub.h).
//
// Subscriptions are not replicated state. PUBLISH is a log entry (so every node sees the
// messages in the same order) that changes nothing in the state machine; each node, as it
// applies the entry, delivers the message to its own subscribers through a PublishSink
// (WriteContext::publish). Its reply is the number of receivers on the applying node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kv/resp_writer.h"

namespace raftkv::kv {

// Where an applied PUBLISH delivers: the node's subscribers. Returns how many received it.
class PublishSink {
 public:
  virtual ~PublishSink() = default;
  virtual int64_t publish(std::string_view channel, std::string_view message) = 0;
  // SPUBLISH: to the subscribers of the shard channel (SSUBSCRIBE).
  virtual int64_t spublish(std::string_view channel, std::string_view message) = 0;
};

// The one place push frames are started: RESP2 sends them as arrays ("*3"). (RESP3 would
// send '>' here.)
void write_push_header(RespWriter* out, size_t elements);
// ["subscribe"|"unsubscribe"|"psubscribe"|"punsubscribe", channel or nil, count].
void write_subscription_frame(RespWriter* out, std::string_view kind, const std::string* channel,
                              size_t count);
// ["message", channel, message] (["smessage", ...] for a shard channel)
std::string message_frame(std::string_view channel, std::string_view message,
                          std::string_view kind = "message");
// ["pmessage", pattern, channel, message]
std::string pmessage_frame(std::string_view pattern, std::string_view channel,
                           std::string_view message);

// The error a connection in subscribed mode (RESP2) gets for any other command.
std::string subscribed_mode_error(std::string_view command_name);

// One node's channel and pattern subscriptions, by client id. A client's channels are
// listed in byte order (UNSUBSCRIBE without arguments; Redis's order is its hash table's).
class PubSubRegistry {
 public:
  // Each returns whether the subscription changed (new, or removed).
  bool subscribe(uint64_t client, const std::string& channel);
  bool unsubscribe(uint64_t client, const std::string& channel);
  bool psubscribe(uint64_t client, const std::string& pattern);
  bool punsubscribe(uint64_t client, const std::string& pattern);
  bool ssubscribe(uint64_t client, const std::string& channel);  // shard channels
  bool sunsubscribe(uint64_t client, const std::string& channel);
  // A client's channels (or patterns), in byte order.
  std::vector<std::string> channels_of(uint64_t client) const;
  std::vector<std::string> patterns_of(uint64_t client) const;
  std::vector<std::string> shard_channels_of(uint64_t client) const;
  size_t channel_count(uint64_t client) const;
  size_t pattern_count(uint64_t client) const;
  size_t shard_count(uint64_t client) const;
  // Channels plus patterns: what (P)SUBSCRIBE's frames count (SSUBSCRIBE's count shard
  // channels alone, as in Redis).
  size_t subscription_count(uint64_t client) const {
    return channel_count(client) + pattern_count(client);
  }
  // Every kind: non-zero means subscribed mode.
  size_t total_count(uint64_t client) const {
    return subscription_count(client) + shard_count(client);
  }
  void remove_client(uint64_t client);

  bool empty() const { return clients_.empty(); }
  // INFO's pubsub_channels and pubsub_patterns; PUBSUB NUMPAT.
  size_t channels() const { return channels_.size(); }
  size_t patterns() const { return patterns_.size(); }
  size_t shard_channels() const { return shards_.size(); }  // INFO's pubsubshard_channels

  // Who receives a message on `channel`, and the frame each gets: channel subscribers (in
  // subscription order) with a "message" frame, then each matching pattern's subscribers
  // with its "pmessage" frame. A client subscribed twice (a channel and a pattern) receives
  // it twice, as in Redis. Frames are shared: `frames` holds them, `out` points into it.
  struct Frame {
    std::string bytes;
    std::string pattern;  // the pattern subscription it is for ("pmessage")
    bool is_pattern = false;
  };
  struct Delivery {
    uint64_t client;
    size_t frame;  // index into frames
  };
  void route(std::string_view channel, std::string_view message, std::vector<Frame>* frames,
             std::vector<Delivery>* out) const;
  // The same for SPUBLISH: the shard channel's subscribers, with an "smessage" frame.
  void route_shard(std::string_view channel, std::string_view message, std::vector<Frame>* frames,
                   std::vector<Delivery>* out) const;

  // PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP (argv from "PUBSUB").
  void pubsub_command(std::span<const std::string> argv, RespWriter* out) const;

 private:
  enum class Kind : uint8_t { kChannel, kPattern, kShard };
  bool remove_subscription(uint64_t client, const std::string& name, Kind kind);

  struct Client {
    std::set<std::string, std::less<>> channels;
    std::set<std::string, std::less<>> patterns;
    std::set<std::string, std::less<>> shards;
    bool empty() const { return channels.empty() && patterns.empty() && shards.empty(); }
  };
  // Subscribers in the order they subscribed (Redis keeps a list per channel).
  std::unordered_map<std::string, std::vector<uint64_t>> channels_;
  std::unordered_map<std::string, std::vector<uint64_t>> shards_;
  std::map<std::string, std::vector<uint64_t>, std::less<>> patterns_;
  std::unordered_map<uint64_t, Client> clients_;
};

}  // namespace raftkv::kv
