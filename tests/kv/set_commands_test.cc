// Sets: membership, algebra, canonical order, and SPOP's deterministic choice.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kv/resp_parser.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
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

// Redis 7.0 holds a set of integers as an intset, whose replies are in ascending order.
TEST(SetCommands, IntegerSetsReplyInAscendingOrderLikeAnIntset) {
  KvHarness kv;
  kv.run({"SADD", "s", "3", "1", "20", "-2", "2"});
  const std::string ascending = bulks({"-2", "1", "2", "3", "20"});
  EXPECT_EQ(kv.run({"SMEMBERS", "s"}), ascending);
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "s"}), "$6\r\nintset\r\n");
  EXPECT_EQ(kv.run({"SSCAN", "s", "0", "COUNT", "2"}), "*2\r\n$1\r\n0\r\n" + ascending)
      << "an intset comes whole, in one page";
  EXPECT_EQ(kv.run({"SRANDMEMBER", "s", "5"}), ascending);
  EXPECT_EQ(kv.run({"SORT", "s", "BY", "nosort"}), ascending);
  kv.run({"SADD", "t", "20", "7", "3"});
  EXPECT_EQ(kv.run({"SINTER", "t", "s"}), bulks({"3", "20"}));
  EXPECT_EQ(kv.run({"SUNION", "t", "s"}), bulks({"-2", "1", "2", "3", "7", "20"}));
  EXPECT_EQ(kv.run({"SDIFF", "s", "t"}), bulks({"-2", "1", "2"}));
  kv.run({"SUNIONSTORE", "u", "t", "s"});
  EXPECT_EQ(kv.run({"SMEMBERS", "u"}), bulks({"-2", "1", "2", "3", "7", "20"}));
  EXPECT_EQ(kv.run({"SPOP", "u", "6"}), bulks({"-2", "1", "2", "3", "7", "20"}));
  // Not canonical integers: a hashtable ("01", "+1" and " 1" are not intset members).
  kv.run({"SADD", "h", "1", "01"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "h"}), "$9\r\nhashtable\r\n");
}

// Redis never converts a hashtable back: removing the member that made it one, or shrinking
// below set-max-intset-entries, leaves it a hashtable. Building a new set (SUNION, SPOP of
// all, RESTORE) makes an intset again.
TEST(SetCommands, AHashtableStaysOneUntilTheSetIsRebuilt) {
  KvHarness kv;
  kv.run({"SADD", "s", "5", "x", "3", "1"});
  kv.run({"SREM", "s", "x"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "s"}), "$9\r\nhashtable\r\n");
  EXPECT_EQ(kv.run({"SUNION", "s"}), bulks({"1", "3", "5"}));
  for (int i = 0; i < 513; ++i) kv.run({"SADD", "big", std::to_string(i)});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "big"}), "$9\r\nhashtable\r\n");
  kv.run({"SREM", "big", "512"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "big"}), "$9\r\nhashtable\r\n");
  kv.run({"SADD", "s512", "0"});
  for (int i = 1; i < 512; ++i) kv.run({"SADD", "s512", std::to_string(i)});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "s512"}), "$6\r\nintset\r\n") << "512 still fit";
  // The conversion is kept by snapshots and by COPY; RESTORE loads the contents afresh.
  KvHarness restored;
  ASSERT_TRUE(restored.sm.restore(kv.sm.serialize()).is_ok());
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "s"}), "$9\r\nhashtable\r\n");
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "s512"}), "$6\r\nintset\r\n");
  EXPECT_EQ(restored.sm.digest(), kv.sm.digest());
  kv.run({"COPY", "s", "copied"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "copied"}), "$9\r\nhashtable\r\n");
  const std::string dumped = kv.run({"DUMP", "s"});  // a bulk string: its body is the payload
  const size_t body = dumped.find("\r\n") + 2;
  const std::string payload = dumped.substr(body, dumped.size() - body - 2);
  EXPECT_EQ(kv.run({"RESTORE", "again", "0", payload}), "+OK\r\n");
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "again"}), "$6\r\nintset\r\n");
  EXPECT_EQ(kv.run({"SMEMBERS", "again"}), bulks({"1", "3", "5"}));
}

}  // namespace
}  // namespace raftkv::kv
