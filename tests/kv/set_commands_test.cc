// Sets: membership, algebra, canonical order, and SPOP's deterministic choice.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kv/resp_parser.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

// The bulk strings of an array reply, as a set (member order is not what is tested).
std::multiset<std::string> members_of(const std::string& reply) {
  // Parse the reply as if it were a request: same framing for an array of bulk strings.
  RespParser parser;
  std::vector<Argv> parsed;
  EXPECT_TRUE(parser.feed(reply, &parsed));
  if (parsed.empty()) return {};
  return {parsed[0].begin(), parsed[0].end()};
}

TEST(SetCommands, AddRemoveAndAlgebra) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"SADD", "a", "1", "2", "3", "2"}), ":3\r\n");
  EXPECT_EQ(kv.run({"SADD", "b", "2", "3", "4"}), ":3\r\n");
  EXPECT_EQ(members_of(kv.run({"SINTER", "a", "b"})), (std::multiset<std::string>{"2", "3"}));
  EXPECT_EQ(members_of(kv.run({"SUNION", "a", "b", "none"})),
            (std::multiset<std::string>{"1", "2", "3", "4"}));
  EXPECT_EQ(members_of(kv.run({"SDIFF", "a", "b"})), (std::multiset<std::string>{"1"}));
  EXPECT_EQ(kv.run({"SINTER", "a", "none"}), "*0\r\n");
  EXPECT_EQ(kv.run({"SREM", "a", "1", "2", "3"}), ":3\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(kv.run({"TYPE", "b"}), "+set\r\n");
}

TEST(SetCommands, MembersAreListedInTheSameOrderWhateverTheHistory) {
  KvHarness a;
  KvHarness b;
  for (int i = 0; i < 100; ++i) a.run({"SADD", "s", "m" + std::to_string(i)});
  for (int i = 99; i >= 0; --i) b.run({"SADD", "s", "m" + std::to_string(i)});
  EXPECT_EQ(a.run({"SMEMBERS", "s"}), b.run({"SMEMBERS", "s"}));
  EXPECT_EQ(a.sm.digest(), b.sm.digest());
}

TEST(SetCommands, SpopDependsOnlyOnTheLog) {
  // Two replicas given the same entries at the same indexes pop the same members...
  KvHarness a;
  KvHarness b;
  std::string popped_a;
  std::string popped_b;
  for (KvHarness* kv : {&a, &b}) {
    for (int i = 0; i < 50; ++i) kv->run({"SADD", "s", "m" + std::to_string(i)});
  }
  for (int i = 0; i < 20; ++i) {
    popped_a += a.run({"SPOP", "s"});
    popped_b += b.run({"SPOP", "s"});
  }
  popped_a += a.run({"SPOP", "s", "7"});
  popped_b += b.run({"SPOP", "s", "7"});
  EXPECT_EQ(popped_a, popped_b);
  EXPECT_EQ(a.sm.digest(), b.sm.digest());
  // ...and the choice varies with the log position (it is not simply the first member).
  std::set<std::string> firsts;
  for (int round = 0; round < 10; ++round) {
    KvHarness d;
    d.index = static_cast<uint64_t>(round) * 1000;
    for (int i = 0; i < 50; ++i) d.run({"SADD", "s", "m" + std::to_string(i)});
    firsts.insert(d.run({"SPOP", "s"}));
  }
  EXPECT_GT(firsts.size(), 3u);
}

TEST(SetCommands, SpopWithACountEmptiesTheSetAndDeletesIt) {
  KvHarness kv;
  kv.run({"SADD", "s", "a", "b", "c"});
  EXPECT_EQ(members_of(kv.run({"SPOP", "s", "10"})), (std::multiset<std::string>{"a", "b", "c"}));
  EXPECT_EQ(kv.run({"EXISTS", "s"}), ":0\r\n");
}

TEST(SetCommands, SrandmemberNeverChangesTheSet) {
  KvHarness kv;
  kv.run({"SADD", "s", "a", "b", "c"});
  const std::string digest = kv.sm.digest();
  EXPECT_EQ(members_of(kv.run({"SRANDMEMBER", "s", "3"})),
            (std::multiset<std::string>{"a", "b", "c"}));
  EXPECT_EQ(members_of(kv.run({"SRANDMEMBER", "s", "-5"})).size(), 5u);
  EXPECT_EQ(members_of(kv.run({"SRANDMEMBER", "s", "2"})).size(), 2u);
  const auto one = kv.run({"SRANDMEMBER", "s"});
  EXPECT_TRUE(one == "$1\r\na\r\n" || one == "$1\r\nb\r\n" || one == "$1\r\nc\r\n") << one;
  EXPECT_EQ(kv.sm.digest(), digest);
}

TEST(SetCommands, SrandmemberRepeatsAreBounded) {
  KvHarness kv;
  kv.run({"SADD", "s", "a"});
  EXPECT_EQ(kv.run({"SRANDMEMBER", "s", "-1048577"}),
            "-ERR count is out of range: raftkv returns at most 1048576 members with repeats\r\n");
  EXPECT_EQ(kv.run({"SRANDMEMBER", "s", "-1048576"}).substr(0, 10), "*1048576\r\n");
}

}  // namespace
}  // namespace raftkv::kv
