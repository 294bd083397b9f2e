#include "server/pubsub_hub.h"

#include <spdlog/spdlog.h>

#include "kv/acl.h"
#include "kv/resp3.h"
#include "kv/resp_writer.h"
#include "server/client_connection.h"

namespace raftkv::server {

namespace {

bool may_receive(const kv::AclUser& user, std::string_view channel,
                 const kv::PubSubRegistry::Frame& frame) {
  if (user.deleted) return false;
  return frame.is_pattern ? kv::acl_channel_allowed(user, frame.pattern, true)
                          : kv::acl_channel_allowed(user, channel, false);
}

}  // namespace

void PubSubHub::command(const kv::Argv& argv, const kv::CommandSpec& spec, kv::ClientState& client,
                        ReplySlot& slot) {
  using enum kv::CommandId;
  std::string out;
  kv::RespWriter w(&out);
  if (spec.id == kPubsub) {
    registry_.pubsub_command(argv, &w);
    return slot.complete(std::move(out), argv);
  }
  auto conn = std::dynamic_pointer_cast<ClientConnection>(slot.target());
  if (!conn) return slot.complete(kv::encode_error("ERR pub/sub needs a client connection"));
  const uint64_t id = client.id;
  const bool patterns = spec.id == kPsubscribe || spec.id == kPunsubscribe;
  const bool shards = spec.id == kSsubscribe || spec.id == kSunsubscribe;
  // What the frames count: shard channels for S(UN)SUBSCRIBE, else channels plus patterns.
  const auto count = [&] {
    return shards ? registry_.shard_count(id) : registry_.subscription_count(id);
  };
  if (spec.id == kSubscribe || spec.id == kPsubscribe || spec.id == kSsubscribe) {
    for (size_t i = 1; i < argv.size(); ++i) {
      if (patterns) {
        registry_.psubscribe(id, argv[i]);
      } else if (shards) {
        registry_.ssubscribe(id, argv[i]);
      } else {
        registry_.subscribe(id, argv[i]);
      }
      kv::write_subscription_frame(&w, spec.name, &argv[i], count());
    }
  } else {
    // Without arguments: every channel (pattern) it has; a nil one if none.
    const std::vector<std::string> all =
        argv.size() > 1 ? std::vector<std::string>(argv.begin() + 1, argv.end())
        : patterns      ? registry_.patterns_of(id)
        : shards        ? registry_.shard_channels_of(id)
                        : registry_.channels_of(id);
    for (const std::string& name : all) {
      if (patterns) {
        registry_.punsubscribe(id, name);
      } else if (shards) {
        registry_.sunsubscribe(id, name);
      } else {
        registry_.unsubscribe(id, name);
      }
      kv::write_subscription_frame(&w, spec.name, &name, count());
    }
    if (all.empty()) kv::write_subscription_frame(&w, spec.name, nullptr, count());
  }
  update(client, conn);
  slot.complete(std::move(out), argv);
}

void PubSubHub::update(kv::ClientState& client, const std::shared_ptr<ClientConnection>& conn) {
  const size_t count = registry_.total_count(client.id);
  const bool was = client.subscriptions != 0;
  client.subscriptions = count;
  if (was == (count != 0)) return;
  if (count != 0) {
    subscribers_[client.id] = conn;
  } else {
    subscribers_.erase(client.id);
  }
  conn->set_subscribed(count != 0);
}

void PubSubHub::drop(kv::ClientState& client) {
  if (client.subscriptions == 0) return;
  auto it = subscribers_.find(client.id);
  std::shared_ptr<ClientConnection> conn = it == subscribers_.end() ? nullptr : it->second.lock();
  registry_.remove_client(client.id);
  client.subscriptions = 0;
  subscribers_.erase(client.id);
  if (conn) conn->set_subscribed(false);
}

void PubSubHub::on_disconnect(uint64_t client_id) {
  if (subscribers_.erase(client_id) > 0) registry_.remove_client(client_id);
}

int64_t PubSubHub::publish(std::string_view channel, std::string_view message) {
  return deliver(channel, message, /*shard=*/false);
}

int64_t PubSubHub::spublish(std::string_view channel, std::string_view message) {
  return deliver(channel, message, /*shard=*/true);
}

int64_t PubSubHub::deliver(std::string_view channel, std::string_view message, bool shard) {
  if (registry_.empty()) return 0;
  // Taken out while pushing: a push over the output limit closes its connection, which
  // comes back here (on_disconnect) and changes the registry.
  std::vector<kv::PubSubRegistry::Frame> frames = std::move(frames_);
  std::vector<kv::PubSubRegistry::Delivery> deliveries = std::move(deliveries_);
  frames.clear();
  deliveries.clear();
  if (shard) {
    registry_.route_shard(channel, message, &frames, &deliveries);
  } else {
    registry_.route(channel, message, &frames, &deliveries);
  }
  int64_t receivers = 0;
  for (const auto& d : deliveries) {
    auto it = subscribers_.find(d.client);
    if (it == subscribers_.end()) continue;
    auto conn = it->second.lock();
    if (!conn) continue;
    const kv::PubSubRegistry::Frame& frame = frames[d.frame];
    if (const kv::AclUser* user = conn->state().user.get();
        user != nullptr && !user->unrestricted && !may_receive(*user, channel, frame)) {
      // Its user was deleted or lost the channel since it subscribed: Redis closes such
      // subscribers when the ACL changes; here, at their next message.
      spdlog::info("client {} ({}) closed: its ACL user may no longer receive '{}'",
                   conn->state().id, conn->peer(), channel);
      conn->close();
      continue;
    }
    if (conn->state().protocol == 3) {  // a RESP3 connection gets a push ('>')
      std::string push = frame.bytes;
      kv::to_resp3(&push, kv::Resp3Shape::kPush);
      conn->push(std::move(push));
    } else {
      conn->push(frame.bytes);
    }
    ++receivers;
  }
  frames.clear();  // a big message is not kept until the next one
  frames_ = std::move(frames);
  deliveries_ = std::move(deliveries);
  return receivers;
}

}  // namespace raftkv::server
