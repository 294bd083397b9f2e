// The public API's error paths: Config::validate(), Node::create(), and Status's copy of
// each member's progress (what outside users get instead of the internals).
#include <gtest/gtest.h>

#include "harness.h"
#include "raftkv/raft/node.h"

namespace raftkv::raft::test {
namespace {

Config valid_config() {
  Config c;
  c.id = 1;
  return c;
}

TEST(ConfigValidate, TheDefaultsWithAnIdAreValid) {
  EXPECT_TRUE(valid_config().validate().has_value());
}

TEST(ConfigValidate, EachBrokenRuleIsNamed) {
  struct Case {
    void (*edit)(Config&);
    const char* says;
  };
  const Case cases[] = {
      {[](Config& c) { c.id = kNoNode; }, "Config::id"},
      {[](Config& c) { c.election_tick = 0; }, "election_tick must be positive"},
      {[](Config& c) { c.election_tick = -3; }, "election_tick must be positive"},
      {[](Config& c) { c.election_tick = 1 << 30; }, "election_tick is too large"},
      {[](Config& c) { c.heartbeat_tick = 0; }, "heartbeat_tick must be positive"},
      {[](Config& c) { c.heartbeat_tick = 10; }, "heartbeat_tick must be less than"},
      {[](Config& c) { c.max_size_per_msg = 0; }, "max_size_per_msg"},
      {[](Config& c) { c.max_committed_size_per_ready = 0; }, "max_committed_size_per_ready"},
      {[](Config& c) { c.max_inflight_msgs = 0; }, "max_inflight_msgs"},
  };
  for (const Case& k : cases) {
    Config c = valid_config();
    k.edit(c);
    auto r = c.validate();
    ASSERT_FALSE(r.has_value()) << k.says;
    EXPECT_NE(r.error().message.find(k.says), std::string::npos) << r.error().message;
  }
}

TEST(NodeCreate, ReturnsTheErrorInsteadOfStopping) {
  MemoryStorage storage;
  Config c = valid_config();
  c.election_tick = 0;  // once reached `rng() % 0`
  auto r = Node::create(c, &storage);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("election_tick"), std::string::npos);

  EXPECT_FALSE(Node::create(valid_config(), nullptr).has_value());
  c = valid_config();
  c.applied = 7;  // past the empty log
  auto past = Node::create(c, &storage);
  ASSERT_FALSE(past.has_value());
  EXPECT_NE(past.error().message.find("applied"), std::string::npos);
}

TEST(NodeCreate, AValidConfigGivesAWorkingNode) {
  MemoryStorage storage;
  storage.set_conf_state(ConfState{{1}, {}, {}});
  auto r = Node::create(valid_config(), &storage);
  ASSERT_TRUE(r.has_value());
  Node node = std::move(r).value();
  node.campaign();
  while (node.has_ready()) {
    Ready rd = node.ready();
    storage.append(rd.entries);
    if (rd.hard_state) storage.set_hard_state(*rd.hard_state);
    node.advance(rd);
  }
  EXPECT_EQ(node.role(), Role::kLeader);
  auto p = node.propose("x");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->index, 2u);
}

TEST(Status, CarriesACopyOfEachMembersProgress) {
  Cluster c(3);
  c.campaign(1);
  ASSERT_TRUE(c.node(1).propose("a").has_value());
  c.process();
  c.deliver_all();
  Status st = c.node(1).status();
  ASSERT_EQ(st.progress.size(), 3u);
  for (NodeId id : {1, 2, 3}) {
    EXPECT_EQ(st.progress.at(id).match, st.last_index) << id;
    EXPECT_TRUE(st.is_voter(id));
  }
  EXPECT_EQ(st.progress.at(2).state, ProgressState::kReplicate);
  EXPECT_FALSE(st.is_voter(4));
}

}  // namespace
}  // namespace raftkv::raft::test
