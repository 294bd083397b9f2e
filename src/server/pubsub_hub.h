// PubSubHub: one node's pub/sub. It answers SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE,
// PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE and PUBSUB for the node's connections, and, as the node's
// kv::PublishSink, delivers each PUBLISH entry the node applies to its own subscribers, in log
// order. So a message reaches the subscribers of every node, in the same order on all of them.
//
// Delivery is a side effect of applying, outside the replicated state: pushes go to the
// connections' output buffers, bounded by the pubsub output limit class (a subscriber
// that does not read is closed). With no subscriber, an applied PUBLISH costs one test.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kv/argv.h"
#include "kv/commands.h"
#include "kv/local_commands.h"
#include "kv/pubsub.h"
#include "server/reply_slot.h"

namespace raftkv::server {

class ClientConnection;

class PubSubHub final : public kv::PublishSink {
 public:
  // (P)SUBSCRIBE, (P)UNSUBSCRIBE and PUBSUB from the connection `slot` answers.
  void command(const kv::Argv& argv, const kv::CommandSpec& spec, kv::ClientState& client,
               ReplySlot& slot);
  // RESET and disconnects: drops every subscription of the client, pushing nothing.
  void drop(kv::ClientState& client);
  void on_disconnect(uint64_t client_id);

  int64_t publish(std::string_view channel, std::string_view message) override;
  int64_t spublish(std::string_view channel, std::string_view message) override;

  // INFO: pubsub_channels, pubsub_patterns. CLIENT LIST: sub=, psub=.
  size_t channels() const { return registry_.channels(); }
  size_t patterns() const { return registry_.patterns(); }
  size_t channel_count(uint64_t client) const { return registry_.channel_count(client); }
  size_t pattern_count(uint64_t client) const { return registry_.pattern_count(client); }
  size_t shard_channels() const { return registry_.shard_channels(); }
  size_t shard_count(uint64_t client) const { return registry_.shard_count(client); }

 private:
  // PUBLISH and SPUBLISH: the message to the node's subscribers of `channel`.
  int64_t deliver(std::string_view channel, std::string_view message, bool shard);
  // After a change of the client's subscriptions: its count, its output limit class.
  void update(kv::ClientState& client, const std::shared_ptr<ClientConnection>& conn);

  kv::PubSubRegistry registry_;
  std::unordered_map<uint64_t, std::weak_ptr<ClientConnection>> subscribers_;
  // Reused by publish().
  std::vector<kv::PubSubRegistry::Frame> frames_;
  std::vector<kv::PubSubRegistry::Delivery> deliveries_;
};

}  // namespace raftkv::server
