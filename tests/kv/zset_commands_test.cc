// Sorted sets: ordering by (score, member), ZADD's flags, ranges by rank and score, pops,
// and Redis 7.0's score formatting.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "kv/float_format.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

TEST(ZsetCommands, OrderedByScoreThenMember) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"ZADD", "z", "2", "b", "1", "c", "2", "a"}), ":3\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            bulks({"c", "1", "a", "2", "b", "2"}));
  EXPECT_EQ(kv.run({"ZREVRANGE", "z", "0", "0"}), bulks({"b"}));
  EXPECT_EQ(kv.run({"ZRANK", "z", "b"}), ":2\r\n");
  EXPECT_EQ(kv.run({"ZREVRANK", "z", "b"}), ":0\r\n");
  EXPECT_EQ(kv.run({"TYPE", "z"}), "+zset\r\n");
}

TEST(ZsetCommands, ScoreRangesWithExclusionAndLimit) {
  KvHarness kv;
  for (int i = 1; i <= 10; ++i) kv.run({"ZADD", "z", std::to_string(i), "m" + std::to_string(i)});
  EXPECT_EQ(kv.run({"ZRANGEBYSCORE", "z", "(2", "4"}), bulks({"m3", "m4"}));
  EXPECT_EQ(kv.run({"ZREVRANGEBYSCORE", "z", "4", "(2"}), bulks({"m4", "m3"}));
  EXPECT_EQ(kv.run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "8", "5"}),
            bulks({"m9", "m10"}));
  EXPECT_EQ(kv.run({"ZRANGE", "z", "(5", "(5", "BYSCORE"}), "*0\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "z", "9", "2", "BYSCORE"}), "*0\r\n");
  EXPECT_EQ(kv.run({"ZCOUNT", "z", "(1", "(10"}), ":8\r\n");
  EXPECT_EQ(kv.run({"ZCOUNT", "z", "5", "5"}), ":1\r\n");
}

TEST(ZsetCommands, ZaddFlagsAndIncrements) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"ZADD", "z", "INCR", "1.5", "m"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(kv.run({"ZINCRBY", "z", "0.1", "m"}), "$18\r\n1.6000000000000001\r\n");
  EXPECT_EQ(kv.run({"ZADD", "z", "GT", "CH", "1", "m"}), ":0\r\n");
  EXPECT_EQ(kv.run({"ZADD", "z", "LT", "CH", "1", "m"}), ":1\r\n");
  EXPECT_EQ(kv.run({"ZADD", "z", "XX", "5", "new"}), ":0\r\n");
  EXPECT_EQ(kv.run({"ZADD", "z", "INCR", "inf", "m"}), "$3\r\ninf\r\n");
  EXPECT_EQ(kv.run({"ZADD", "z", "INCR", "-inf", "m"}),
            "-ERR resulting score is not a number (NaN)\r\n");
  EXPECT_EQ(kv.run({"ZSCORE", "z", "m"}), "$3\r\ninf\r\n") << "the NaN changed nothing";
}

TEST(ZsetCommands, PopsDeleteTheEmptiedKey) {
  KvHarness kv;
  kv.run({"ZADD", "z", "1", "a", "2", "b", "3", "c"});
  EXPECT_EQ(kv.run({"ZPOPMAX", "z"}), bulks({"c", "3"}));
  EXPECT_EQ(kv.run({"ZPOPMIN", "z", "5"}), bulks({"a", "1", "b", "2"}));
  EXPECT_EQ(kv.run({"EXISTS", "z"}), ":0\r\n");
  kv.run({"ZADD", "z", "1", "a"});
  EXPECT_EQ(kv.run({"ZREM", "z", "a"}), ":1\r\n");
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

TEST(ZsetCommands, NegativeZeroIsStoredAsZero) {
  KvHarness a;
  KvHarness b;
  a.run({"ZADD", "z", "-0", "m"});
  b.run({"ZADD", "z", "0", "m"});
  EXPECT_EQ(a.run({"ZSCORE", "z", "m"}), "$1\r\n0\r\n");
  EXPECT_EQ(a.sm.digest(), b.sm.digest());
}

TEST(FloatFormat, PrintsLikeRedis70) {
  EXPECT_EQ(format_double(1.5), "1.5");
  EXPECT_EQ(format_double(3), "3");
  EXPECT_EQ(format_double(0.1), "0.10000000000000001");
  EXPECT_EQ(format_double(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(format_double(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(format_double(1e300), "1.0000000000000001e+300");
  EXPECT_EQ(format_long_double(0.1L + 0.2L), "0.3");
  EXPECT_EQ(format_long_double(-0.0L), "0");
  EXPECT_EQ(format_long_double(1500), "1500");
}

TEST(FloatFormat, ParsesLikeRedis) {
  EXPECT_EQ(parse_double("1e3"), 1000.0);
  EXPECT_EQ(parse_double("-inf"), -std::numeric_limits<double>::infinity());
  EXPECT_FALSE(parse_double("nan"));
  EXPECT_FALSE(parse_double(" 1"));
  EXPECT_FALSE(parse_double("1 "));
  EXPECT_FALSE(parse_double(""));
  EXPECT_FALSE(parse_double("1e400")) << "overflow";
  EXPECT_FALSE(parse_double(std::string("1\0", 2))) << "binary-safe";
  EXPECT_EQ(parse_range_double(""), 0.0) << "as Redis's zslParseRange";
  EXPECT_FALSE(parse_range_double("x"));
}

// A count that covers the whole sorted set: Redis 7.0 lists it from the highest score down.
TEST(ZsetCommands, ZrandmemberOfEverythingComesFromTheTop) {
  KvHarness kv;
  kv.run({"ZADD", "z", "1", "b", "1", "a", "1", "c", "5", "e", "0", "d"});
  EXPECT_EQ(kv.run({"ZRANDMEMBER", "z", "5"}), testing::bulks({"e", "c", "b", "a", "d"}));
  EXPECT_EQ(kv.run({"ZRANDMEMBER", "z", "9", "WITHSCORES"}),
            testing::bulks({"e", "5", "c", "1", "b", "1", "a", "1", "d", "0"}));
}

// Redis converts a listpack to a skiplist for good when a member is added past 128 or
// longer than 64 bytes; a set built whole (ZUNIONSTORE, ZRANGESTORE, RESTORE) is a
// listpack if its contents fit (checked against redis-server 7.0.15).
TEST(ZsetCommands, ListpackBecomesASkiplistForGood) {
  KvHarness kv;
  const auto encoding = [&](const std::string& key) { return kv.run({"OBJECT", "ENCODING", key}); };
  const std::string listpack = "$8\r\nlistpack\r\n";
  const std::string skiplist = "$8\r\nskiplist\r\n";
  for (int i = 0; i < 128; ++i) kv.run({"ZADD", "z", std::to_string(i), "m" + std::to_string(i)});
  EXPECT_EQ(encoding("z"), listpack);
  kv.run({"ZADD", "z", "1000", "one-more"});
  EXPECT_EQ(encoding("z"), skiplist);
  kv.run({"ZREMRANGEBYRANK", "z", "0", "125"});
  EXPECT_EQ(encoding("z"), skiplist) << "never converted back";
  kv.run({"ZUNIONSTORE", "u", "1", "z"});
  kv.run({"ZRANGESTORE", "r", "z", "0", "-1"});
  kv.run({"COPY", "z", "c"});
  EXPECT_EQ(encoding("u"), listpack);
  EXPECT_EQ(encoding("r"), listpack);
  EXPECT_EQ(encoding("c"), skiplist);
  kv.run({"ZADD", "l", "1", "a"});
  kv.run({"ZINCRBY", "l", "1", std::string(65, 'm')});
  kv.run({"ZPOPMAX", "l"});
  EXPECT_EQ(encoding("l"), skiplist);
  KvHarness restored;
  ASSERT_TRUE(restored.sm.restore(kv.sm.serialize()).is_ok());
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "z"}), skiplist);
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "u"}), listpack);
  EXPECT_EQ(restored.sm.serialize(), kv.sm.serialize());
}

}  // namespace
}  // namespace raftkv::kv
