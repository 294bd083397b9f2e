// RPOPLPUSH, LMOVE, LPOS, SMOVE, SINTERSTORE, SUNIONSTORE, SDIFFSTORE, ZREMRANGEBYSCORE,
// ZREMRANGEBYRANK and ZRANGESTORE: what moves, what a destination keeps or loses, and that a
// refused command changes nothing (replies are compared with redis-server in
// redis_compat_test.cc).
#include <gtest/gtest.h>

#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

const std::string kWrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

TEST(MoveAndStoreCommands, LmoveBetweenListsAndRotatingOne) {
  KvHarness kv;
  kv.run({"RPUSH", "a", "1", "2", "3"});
  EXPECT_EQ(kv.run({"RPOPLPUSH", "a", "a"}), "$1\r\n3\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "a", "0", "-1"}), bulks({"3", "1", "2"}));
  EXPECT_EQ(kv.run({"LMOVE", "a", "a", "LEFT", "RIGHT"}), "$1\r\n3\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "a", "0", "-1"}), bulks({"1", "2", "3"}));
  kv.run({"RPUSH", "b", "x"});
  kv.run({"EXPIRE", "b", "100"});
  EXPECT_EQ(kv.run({"LMOVE", "a", "b", "left", "left"}), "$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "b", "0", "-1"}), bulks({"1", "x"}));
  EXPECT_EQ(kv.run({"TTL", "b"}), ":100\r\n") << "the destination keeps its deadline";
  EXPECT_EQ(kv.run({"RPOPLPUSH", "a", "c"}), "$1\r\n3\r\n");
  EXPECT_EQ(kv.run({"RPOPLPUSH", "a", "c"}), "$1\r\n2\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "a"}), ":0\r\n") << "an emptied source is deleted";
  EXPECT_EQ(kv.run({"LRANGE", "c", "0", "-1"}), bulks({"2", "3"}));
  kv.run({"RPUSH", "one", "only"});
  EXPECT_EQ(kv.run({"RPOPLPUSH", "one", "one"}), "$4\r\nonly\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "one", "0", "-1"}), bulks({"only"}));
}

TEST(MoveAndStoreCommands, LmoveToAKeyOfAnotherTypeChangesNothing) {
  KvHarness kv;
  kv.run({"RPUSH", "a", "1"});
  kv.run({"SET", "s", "v"});
  EXPECT_EQ(kv.run({"LMOVE", "a", "s", "LEFT", "LEFT"}), kWrong);
  EXPECT_EQ(kv.run({"LRANGE", "a", "0", "-1"}), bulks({"1"}));
  EXPECT_EQ(kv.run({"RPOPLPUSH", "nope", "s"}), "$-1\r\n") << "a missing source comes first";
}

TEST(MoveAndStoreCommands, LposRankCountAndMaxlen) {
  KvHarness kv;
  kv.run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"});
  EXPECT_EQ(kv.run({"LPOS", "l", "c"}), ":2\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "RANK", "2"}), ":6\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "RANK", "-1"}), ":7\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "RANK", "4"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "COUNT", "0"}), "*3\r\n:2\r\n:6\r\n:7\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "COUNT", "2", "RANK", "-1"}), "*2\r\n:7\r\n:6\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"}), "*2\r\n:2\r\n:6\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "x", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(kv.run({"LPOS", "l", "c", "RANK", "-9223372036854775808"}), "$-1\r\n");
}

TEST(MoveAndStoreCommands, SmoveMovesOneMember) {
  KvHarness kv;
  kv.run({"SADD", "a", "m", "n"});
  kv.run({"SADD", "b", "x"});
  EXPECT_EQ(kv.run({"SMOVE", "a", "b", "m"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SISMEMBER", "b", "m"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SMOVE", "a", "b", "m"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SMOVE", "a", "a", "n"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SMOVE", "a", "new", "n"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SMEMBERS", "new"}), bulks({"n"}));
  kv.run({"SET", "s", "v"});
  EXPECT_EQ(kv.run({"SMOVE", "b", "s", "x"}), kWrong);
  EXPECT_EQ(kv.run({"SCARD", "b"}), ":2\r\n");
}

TEST(MoveAndStoreCommands, SetStoresReplaceTheDestination) {
  KvHarness kv;
  kv.run({"SADD", "a", "1", "2", "3"});
  kv.run({"SADD", "b", "2", "3", "4"});
  kv.run({"SET", "d", "old", "EX", "100"});
  EXPECT_EQ(kv.run({"SINTERSTORE", "d", "a", "b"}), ":2\r\n");
  EXPECT_EQ(kv.run({"TYPE", "d"}), "+set\r\n");
  EXPECT_EQ(kv.run({"TTL", "d"}), ":-1\r\n") << "the old deadline is dropped";
  EXPECT_EQ(kv.run({"SUNIONSTORE", "d", "d", "b"}), ":3\r\n") << "a source may be the destination";
  EXPECT_EQ(kv.run({"SDIFFSTORE", "d", "a", "b"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SMEMBERS", "d"}), bulks({"1"}));
  EXPECT_EQ(kv.run({"SINTERSTORE", "d", "a", "nope"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "d"}), ":0\r\n") << "an empty result deletes it";
  kv.run({"SET", "s", "v"});
  EXPECT_EQ(kv.run({"SUNIONSTORE", "d", "a", "s"}), kWrong);
  EXPECT_EQ(kv.run({"EXISTS", "d"}), ":0\r\n");
}

TEST(MoveAndStoreCommands, ZremrangeAndZrangestore) {
  KvHarness kv;
  kv.run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"});
  EXPECT_EQ(kv.run({"ZREMRANGEBYSCORE", "z", "(1", "2"}), ":1\r\n");
  EXPECT_EQ(kv.run({"ZREMRANGEBYRANK", "z", "-2", "-1"}), ":2\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "z", "0", "-1"}), bulks({"a", "c"}));
  EXPECT_EQ(kv.run({"ZRANGESTORE", "dst", "z", "0", "0", "REV"}), ":1\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}), bulks({"c", "3"}));
  EXPECT_EQ(kv.run({"ZRANGESTORE", "z", "z", "(1", "+inf", "BYSCORE"}), ":1\r\n");
  EXPECT_EQ(kv.run({"ZRANGE", "z", "0", "-1"}), bulks({"c"}));
  EXPECT_EQ(kv.run({"ZRANGESTORE", "dst", "nope", "0", "-1"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "dst"}), ":0\r\n");
  EXPECT_EQ(kv.run({"ZREMRANGEBYRANK", "z", "0", "-1"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "z"}), ":0\r\n") << "an emptied sorted set is deleted";
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

}  // namespace
}  // namespace raftkv::kv
