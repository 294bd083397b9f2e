// Lists: push/pop at both ends, ranges, removal, and empty lists vanishing.
#include <gtest/gtest.h>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

TEST(ListCommands, PushesAndPopsAtBothEnds) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"LPUSH", "l", "b", "a"}), ":2\r\n");
  EXPECT_EQ(kv.run({"RPUSH", "l", "c", "d"}), ":4\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "l", "0", "-1"}), bulks({"a", "b", "c", "d"}));
  EXPECT_EQ(kv.run({"LPOP", "l"}), "$1\r\na\r\n");
  EXPECT_EQ(kv.run({"RPOP", "l", "2"}), bulks({"d", "c"}));
  EXPECT_EQ(kv.run({"TYPE", "l"}), "+list\r\n");
  EXPECT_EQ(kv.run({"RPOP", "l"}), "$1\r\nb\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "l"}), ":0\r\n") << "an emptied list is deleted";
  EXPECT_EQ(kv.run({"RPUSHX", "l", "x"}), ":0\r\n");
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

TEST(ListCommands, RangesClampLikeRedis) {
  KvHarness kv;
  for (int i = 0; i < 10; ++i) kv.run({"RPUSH", "l", std::to_string(i)});
  EXPECT_EQ(kv.run({"LRANGE", "l", "-2", "100"}), bulks({"8", "9"}));
  EXPECT_EQ(kv.run({"LRANGE", "l", "-100", "0"}), bulks({"0"}));
  EXPECT_EQ(kv.run({"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}).substr(0, 4),
            "*10\r");
  EXPECT_EQ(kv.run({"LTRIM", "l", "2", "-3"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "l", "0", "-1"}), bulks({"2", "3", "4", "5", "6", "7"}));
  EXPECT_EQ(kv.run({"LINDEX", "l", "-1"}), "$1\r\n7\r\n");
  EXPECT_EQ(kv.run({"LTRIM", "l", "5", "1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "l"}), ":0\r\n");
}

TEST(ListCommands, RemoveAndInsertAroundPivots) {
  KvHarness kv;
  kv.run({"RPUSH", "l", "x", "a", "x", "b", "x"});
  EXPECT_EQ(kv.run({"LREM", "l", "-2", "x"}), ":2\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "l", "0", "-1"}), bulks({"x", "a", "b"}));
  EXPECT_EQ(kv.run({"LINSERT", "l", "AFTER", "b", "c"}), ":4\r\n");
  EXPECT_EQ(kv.run({"LINSERT", "l", "BEFORE", "x", "w"}), ":5\r\n");
  EXPECT_EQ(kv.run({"LSET", "l", "-1", "C"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "l", "0", "-1"}), bulks({"w", "x", "a", "b", "C"}));
  EXPECT_EQ(kv.run({"LREM", "l", "0", "nothing"}), ":0\r\n");
  for (const char* element : {"w", "x", "a", "b", "C"}) kv.run({"LREM", "l", "0", element});
  EXPECT_EQ(kv.run({"EXISTS", "l"}), ":0\r\n");
}

TEST(ListCommands, LargeRangesAreWhole) {
  KvHarness kv;
  Argv push = {"RPUSH", "l"};
  for (int i = 0; i < 1000; ++i) push.push_back(std::to_string(i));
  EXPECT_EQ(kv.run(push), ":1000\r\n");
  const std::string reply = kv.run({"LRANGE", "l", "0", "599"});
  EXPECT_EQ(reply.substr(0, 6), "*600\r\n");
  EXPECT_NE(reply.find("$3\r\n599\r\n"), std::string::npos);
  EXPECT_EQ(reply.find("$3\r\n600\r\n"), std::string::npos);
}

}  // namespace
}  // namespace raftkv::kv
