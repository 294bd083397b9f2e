// Pub/sub in the kv layer: the frames (Redis 7.0's bytes), the subscription registry and
// its routing, PUBSUB's replies, PUBLISH through the log (delivered to the sink, the state
// unchanged), SEQ refusing PUBLISH, and ACL channel permissions.
#include <gtest/gtest.h>

#include "kv/acl.h"
#include "kv/pubsub.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

std::string pubsub(const PubSubRegistry& r, std::initializer_list<std::string> args) {
  std::vector<std::string> argv{"PUBSUB"};
  argv.insert(argv.end(), args);
  std::string out;
  RespWriter w(&out);
  r.pubsub_command(argv, &w);
  return out;
}

struct RecordingSink final : PublishSink {
  int64_t publish(std::string_view channel, std::string_view message) override {
    got.emplace_back(channel, message);
    return 3;
  }
  int64_t spublish(std::string_view channel, std::string_view message) override {
    got.emplace_back("shard:" + std::string(channel), message);
    return 2;
  }
  std::vector<std::pair<std::string, std::string>> got;
};

TEST(PubSub, FramesAreRedis70s) {
  std::string out;
  RespWriter w(&out);
  const std::string channel = "a";
  write_subscription_frame(&w, "subscribe", &channel, 1);
  write_subscription_frame(&w, "unsubscribe", nullptr, 0);
  EXPECT_EQ(out,
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
  EXPECT_EQ(message_frame("ch", "hi"), "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  EXPECT_EQ(pmessage_frame("c*", "ch", ""),
            "*4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n");
}

TEST(PubSub, RoutesToChannelThenPatternSubscribers) {
  PubSubRegistry r;
  EXPECT_TRUE(r.subscribe(1, "news"));
  EXPECT_FALSE(r.subscribe(1, "news"));
  EXPECT_TRUE(r.subscribe(2, "news"));
  EXPECT_TRUE(r.psubscribe(1, "n*"));
  EXPECT_TRUE(r.psubscribe(3, "x*"));
  EXPECT_EQ(r.subscription_count(1), 2u);
  std::vector<PubSubRegistry::Frame> frames;
  std::vector<PubSubRegistry::Delivery> to;
  r.route("news", "m", &frames, &to);
  ASSERT_EQ(to.size(), 3u);  // client 1 twice: the channel and the pattern, as in Redis
  EXPECT_EQ(to[0].client, 1u);
  EXPECT_EQ(to[1].client, 2u);
  EXPECT_EQ(to[2].client, 1u);
  EXPECT_EQ(frames[to[0].frame].bytes, message_frame("news", "m"));
  EXPECT_EQ(frames[to[2].frame].bytes, pmessage_frame("n*", "news", "m"));
  EXPECT_EQ(frames[to[2].frame].pattern, "n*");
  EXPECT_EQ(pubsub(r, {"NUMSUB", "news", "none"}),
            "*4\r\n$4\r\nnews\r\n:2\r\n$4\r\nnone\r\n:0\r\n");
  EXPECT_EQ(pubsub(r, {"NUMPAT"}), ":2\r\n");
  EXPECT_EQ(pubsub(r, {"CHANNELS", "n*"}), "*1\r\n$4\r\nnews\r\n");
  r.remove_client(1);
  EXPECT_EQ(r.subscription_count(1), 0u);
  EXPECT_EQ(pubsub(r, {"NUMPAT"}), ":1\r\n");
  EXPECT_TRUE(r.unsubscribe(2, "news"));
  EXPECT_FALSE(r.unsubscribe(2, "news"));
  EXPECT_EQ(pubsub(r, {"CHANNELS"}), "*0\r\n");
  EXPECT_EQ(r.channels(), 0u);
  EXPECT_EQ(pubsub(r, {"NOPE"}), "-ERR unknown subcommand 'NOPE'. Try PUBSUB HELP.\r\n");
  EXPECT_EQ(pubsub(r, {"NUMPAT", "x"}),
            "-ERR wrong number of arguments for 'pubsub|numpat' command\r\n");
}

TEST(PubSub, PublishIsALogEntryThatDeliversAndChangesNoData) {
  KvHarness h;
  RecordingSink sink;
  EXPECT_EQ(h.run({"SET", "k", "v"}), "+OK\r\n");
  const std::string digest = h.sm.digest();
  EXPECT_EQ(h.run({"PUBLISH", "ch", "m"}), ":0\r\n");  // no sink: nobody receives it
  h.sm.set_publish_sink(&sink);
  EXPECT_EQ(h.run({"PUBLISH", "ch", "m2"}), ":3\r\n");
  // Inside a transaction and a script too, at their entry.
  EXPECT_EQ(h.run({"EVAL", "return redis.call('publish', 'ch', 'm3')", "0"}), ":3\r\n");
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0], std::make_pair(std::string("ch"), std::string("m2")));
  EXPECT_EQ(h.sm.digest(), digest);
  EXPECT_EQ(h.run({"PUBLISH", "ch"}), "-ERR wrong number of arguments for 'publish' command\r\n");
  // A session would keep a reply that depends on this node's subscribers.
  EXPECT_FALSE(classify({"SEQ", "1", "1", "PUBLISH", "ch", "m"}).ok());
}

// SPUBLISH (Redis 7.0's sharded pub/sub) is a log entry too, delivered to the shard
// channel's subscribers; SSUBSCRIBE's frames count shard channels alone.
TEST(PubSub, ShardChannelsAreANamespaceOfTheirOwn) {
  KvHarness h;
  RecordingSink sink;
  h.sm.set_publish_sink(&sink);
  EXPECT_EQ(h.run({"SPUBLISH", "ch", "m"}), ":2\r\n");
  EXPECT_EQ(h.run({"EVAL", "return redis.call('spublish', 'ch', 'm2')", "0"}), ":2\r\n");
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0], std::make_pair(std::string("shard:ch"), std::string("m")));
  EXPECT_FALSE(classify({"SEQ", "1", "1", "SPUBLISH", "ch", "m"}).ok());

  PubSubRegistry r;
  EXPECT_TRUE(r.subscribe(1, "ch"));
  EXPECT_TRUE(r.ssubscribe(1, "ch"));
  EXPECT_TRUE(r.ssubscribe(2, "ch"));
  EXPECT_EQ(r.subscription_count(1), 1u);
  EXPECT_EQ(r.shard_count(1), 1u);
  EXPECT_EQ(r.total_count(1), 2u);
  std::vector<PubSubRegistry::Frame> frames;
  std::vector<PubSubRegistry::Delivery> out;
  r.route_shard("ch", "hi", &frames, &out);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].bytes, "*3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n");
  ASSERT_EQ(out.size(), 2u) << "the channel subscriber of the same name gets nothing";
  EXPECT_EQ(pubsub(r, {"SHARDCHANNELS"}), "*1\r\n$2\r\nch\r\n");
  EXPECT_EQ(pubsub(r, {"SHARDNUMSUB", "ch", "x"}), "*4\r\n$2\r\nch\r\n:2\r\n$1\r\nx\r\n:0\r\n");
  EXPECT_EQ(pubsub(r, {"NUMSUB", "ch"}), "*2\r\n$2\r\nch\r\n:1\r\n");
  r.remove_client(2);
  EXPECT_EQ(pubsub(r, {"SHARDNUMSUB", "ch"}), "*2\r\n$2\r\nch\r\n:1\r\n");
  EXPECT_TRUE(r.sunsubscribe(1, "ch"));
  EXPECT_EQ(r.shard_channels(), 0u);
}

TEST(PubSub, PingInSubscribedModeIsAPush) {
  KvHarness h;
  h.client.subscriptions = 1;
  EXPECT_EQ(h.run({"PING"}), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
  EXPECT_EQ(h.run({"PING", "x"}), "*2\r\n$4\r\npong\r\n$1\r\nx\r\n");
  h.client.subscriptions = 0;
  EXPECT_EQ(h.run({"PING"}), "+PONG\r\n");
}

TEST(PubSub, AclChannelPermissions) {
  AclUser user = make_acl_user("u");
  for (std::string_view rule : {"on", "+@all", "~*", "&news*"}) {
    ASSERT_EQ(apply_acl_rule(&user, rule), "");
  }
  user.refresh();
  EXPECT_FALSE(user.unrestricted);
  const auto verdict = [&](const Argv& argv) {
    return check_acl(user, *find_command(argv[0]), argv);
  };
  EXPECT_EQ(verdict({"PUBLISH", "newsx", "m"}).denial, AclDenial::kNone);
  EXPECT_EQ(verdict({"PUBLISH", "other", "m"}).denial, AclDenial::kChannel);
  const AclVerdict sub = verdict({"SUBSCRIBE", "news1", "other"});
  EXPECT_EQ(sub.denial, AclDenial::kChannel);
  EXPECT_EQ(sub.key_index, 2u);
  EXPECT_EQ(verdict({"PSUBSCRIBE", "news*"}).denial, AclDenial::kNone);
  EXPECT_EQ(verdict({"PSUBSCRIBE", "news1*"}).denial, AclDenial::kChannel);  // literal only
  EXPECT_EQ(verdict({"UNSUBSCRIBE", "other"}).denial, AclDenial::kNone);
  EXPECT_EQ(verdict({"GET", "k"}).denial, AclDenial::kNone);
  EXPECT_EQ(acl_denied_error(AclDenial::kChannel, *find_command("publish"), {}),
            "NOPERM this user has no permissions to access one of the channels used as arguments");
  ASSERT_EQ(apply_acl_rule(&user, "allchannels"), "");
  user.refresh();
  EXPECT_TRUE(user.unrestricted);
}

}  // namespace
}  // namespace raftkv::kv
