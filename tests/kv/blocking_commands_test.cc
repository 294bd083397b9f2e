// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, LMPOP and ZMPOP as
// the state machine applies them: each is its non-blocking form (the waiting is the
// server's), the first non-empty key in argument order wins, and nothing changes when all
// are empty. Replies are compared with redis-server in tests/integration/test_blocking.py.
#include <gtest/gtest.h>

#include <string>

#include "kv/blocking_commands.h"
#include "kv/commands.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

const std::string kWrong = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

TEST(BlockingCommands, AppliedTheyPopFromTheFirstNonEmptyKey) {
  KvHarness kv;
  kv.run({"RPUSH", "b", "1", "2", "3"});
  EXPECT_EQ(kv.run({"BLPOP", "a", "b", "0"}), bulks({"b", "1"}));
  EXPECT_EQ(kv.run({"BRPOP", "a", "b", "5"}), bulks({"b", "3"}));
  EXPECT_EQ(kv.run({"BLPOP", "b", "0"}), bulks({"b", "2"}));
  EXPECT_EQ(kv.run({"EXISTS", "b"}), ":0\r\n") << "an emptied list is deleted";
  EXPECT_EQ(kv.run({"BLPOP", "a", "b", "0"}), "*-1\r\n");
  kv.run({"ZADD", "z", "1", "x", "2", "y", "3", "w"});
  EXPECT_EQ(kv.run({"BZPOPMIN", "n", "z", "0"}), bulks({"z", "x", "1"}));
  EXPECT_EQ(kv.run({"BZPOPMAX", "z", "0"}), bulks({"z", "w", "3"}));
  EXPECT_EQ(kv.run({"BZPOPMAX", "n", "0"}), "*-1\r\n");
}

TEST(BlockingCommands, MovesAnswerANilBulkWhenTheSourceIsEmpty) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"BLMOVE", "s", "d", "LEFT", "RIGHT", "0"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"BRPOPLPUSH", "s", "d", "0"}), "$-1\r\n");
  kv.run({"RPUSH", "s", "1", "2"});
  EXPECT_EQ(kv.run({"BLMOVE", "s", "d", "LEFT", "RIGHT", "0"}), "$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"BRPOPLPUSH", "s", "d", "0"}), "$1\r\n2\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "d", "0", "-1"}), bulks({"2", "1"}));
  kv.run({"SET", "str", "v"});
  kv.run({"RPUSH", "s", "3"});
  EXPECT_EQ(kv.run({"BLMOVE", "s", "str", "LEFT", "LEFT", "0"}), kWrong);
  EXPECT_EQ(kv.run({"LLEN", "s"}), ":1\r\n") << "refused: nothing moved";
}

TEST(BlockingCommands, MpopTakesUpToCountFromOneKey) {
  KvHarness kv;
  kv.run({"RPUSH", "l", "1", "2", "3"});
  kv.run({"RPUSH", "m", "x"});
  EXPECT_EQ(kv.run({"LMPOP", "3", "none", "l", "m", "RIGHT", "COUNT", "2"}),
            "*2\r\n$1\r\nl\r\n" + bulks({"3", "2"}));
  EXPECT_EQ(kv.run({"LMPOP", "2", "l", "m", "LEFT", "COUNT", "10"}),
            "*2\r\n$1\r\nl\r\n" + bulks({"1"}));
  EXPECT_EQ(kv.run({"BLMPOP", "0", "2", "l", "m", "LEFT"}), "*2\r\n$1\r\nm\r\n" + bulks({"x"}));
  EXPECT_EQ(kv.run({"LMPOP", "2", "l", "m", "LEFT"}), "*-1\r\n");
  kv.run({"ZADD", "z", "1", "a", "2", "b"});
  EXPECT_EQ(kv.run({"ZMPOP", "1", "z", "MAX", "COUNT", "5"}),
            "*2\r\n$1\r\nz\r\n*2\r\n" + bulks({"b", "2"}) + bulks({"a", "1"}));
  EXPECT_EQ(kv.run({"BZMPOP", "0", "1", "z", "MIN"}), "*-1\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
}

TEST(BlockingCommands, AKeyOfAnotherTypeBeforeTheFirstNonEmptyOneIsAnError) {
  KvHarness kv;
  kv.run({"SET", "s", "v"});
  kv.run({"RPUSH", "l", "1"});
  EXPECT_EQ(kv.run({"BLPOP", "s", "l", "0"}), kWrong);
  EXPECT_EQ(kv.run({"LMPOP", "2", "l", "s", "LEFT"}), "*2\r\n$1\r\nl\r\n" + bulks({"1"}));
  EXPECT_EQ(kv.run({"BZPOPMIN", "s", "0"}), kWrong);
  EXPECT_EQ(kv.run({"ZMPOP", "1", "s", "MIN"}), kWrong);
}

TEST(BlockingCommands, ExpiredKeysAreNotPopped) {
  KvHarness kv;
  kv.run({"RPUSH", "l", "1"});
  kv.run({"PEXPIRE", "l", "10"});
  kv.run({"RPUSH", "m", "2"});
  kv.time_ms += 100;
  EXPECT_EQ(kv.run({"LMPOP", "2", "l", "m", "LEFT"}), "*2\r\n$1\r\nm\r\n" + bulks({"2"}));
  kv.run({"ZADD", "z", "1", "a"});
  kv.run({"PEXPIRE", "z", "10"});
  kv.time_ms += 100;
  EXPECT_EQ(kv.run({"BZMPOP", "0", "1", "z", "MIN"}), "*-1\r\n");
  EXPECT_EQ(kv.run({"BZPOPMIN", "z", "0"}), "*-1\r\n");
}

TEST(BlockingCommands, ArgumentErrorsInRedisOrder) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"BLPOP", "a", "-1"}), "-ERR timeout is negative\r\n");
  EXPECT_EQ(kv.run({"BLPOP", "a", "x"}), "-ERR timeout is not a float or out of range\r\n");
  EXPECT_EQ(kv.run({"BLPOP", "a", "1e400"}), "-ERR timeout is negative\r\n");
  EXPECT_EQ(kv.run({"BLMOVE", "a", "b", "UP", "LEFT", "x"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"BLMPOP", "x", "0", "a", "LEFT"}),
            "-ERR timeout is not a float or out of range\r\n");
  EXPECT_EQ(kv.run({"LMPOP", "0", "a", "LEFT"}), "-ERR numkeys should be greater than 0\r\n");
  EXPECT_EQ(kv.run({"LMPOP", "5", "a", "LEFT"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"ZMPOP", "1", "a", "LEFT"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"LMPOP", "1", "a", "LEFT", "COUNT", "0"}),
            "-ERR count should be greater than 0\r\n");
  EXPECT_EQ(kv.run({"LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1"}),
            "-ERR syntax error\r\n");
}

TEST(BlockingCommands, TimeoutsAndKeysForTheServer) {
  std::string error;
  EXPECT_EQ(parse_block_timeout("0", &error), 0u);
  EXPECT_EQ(parse_block_timeout("0.1", &error), 100u);
  EXPECT_EQ(parse_block_timeout("0.0001", &error), 1u) << "rounded up: not forever";
  EXPECT_EQ(parse_block_timeout("2", &error), 2000u);
  EXPECT_FALSE(parse_block_timeout("-0.5", &error));
  const auto block = pop_block(*find_command("bzmpop"),
                               std::vector<std::string>{"BZMPOP", "1.5", "2", "a", "b", "MIN"});
  ASSERT_TRUE(block);
  EXPECT_EQ(block->keys, (std::vector<size_t>{3, 4}));
  EXPECT_EQ(block->timeout_ms, 1500u);
  EXPECT_TRUE(block->zset);
  const auto forever = pop_block(*find_command("blmove"),
                                 std::vector<std::string>{"BLMOVE", "s", "d", "LEFT", "LEFT", "0"});
  ASSERT_TRUE(forever);
  EXPECT_EQ(forever->keys, (std::vector<size_t>{1})) << "waits for the source only";
  EXPECT_FALSE(forever->timeout_ms);
  EXPECT_FALSE(
      pop_block(*find_command("lmpop"), std::vector<std::string>{"LMPOP", "1", "a", "LEFT"}))
      << "not a blocking command";
}

}  // namespace
}  // namespace raftkv::kv
