// INCRBYFLOAT, GETRANGE / SUBSTR, SETRANGE and GETEX (the byte-for-byte comparison with
// redis-server is in redis_compat_test.cc).
#include <gtest/gtest.h>

#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

TEST(StringCommands, IncrbyfloatPrintsLikeRedisAndKeepsTheDeadline) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "f", "10.5"}), "$4\r\n10.5\r\n");
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "f", "3.0e3"}), "$6\r\n3010.5\r\n");
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "f", "-3010.5"}), "$1\r\n0\r\n");
  kv.run({"SET", "t", "1", "EX", "100"});
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "t", "0.25"}), "$4\r\n1.25\r\n");
  EXPECT_EQ(kv.run({"GET", "t"}), "$4\r\n1.25\r\n");
  EXPECT_EQ(kv.run({"TTL", "t"}), ":100\r\n");
}

TEST(StringCommands, IncrbyfloatRefusesWithoutChangingAnything) {
  KvHarness kv;
  const std::string not_float = "-ERR value is not a valid float\r\n";
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "f", "x"}), not_float);
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "f", "inf"}),
            "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "f"}), ":0\r\n") << "no key created by a refused increment";
  kv.run({"SET", "s", "abc"});
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "s", "1"}), not_float);
  kv.run({"RPUSH", "l", "a"});
  EXPECT_EQ(kv.run({"INCRBYFLOAT", "l", "x"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST(StringCommands, GetrangeIndexRules) {
  KvHarness kv;
  kv.run({"SET", "s", "Hello"});
  EXPECT_EQ(kv.run({"GETRANGE", "s", "0", "1"}), "$2\r\nHe\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "-3", "-1"}), "$3\r\nllo\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "-100", "100"}), "$5\r\nHello\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "3", "1"}), "$0\r\n\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "-1", "-5"}), "$0\r\n\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "5", "9"}), "$0\r\n\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "s", "-9223372036854775808", "9223372036854775807"}),
            "$5\r\nHello\r\n");
  EXPECT_EQ(kv.run({"SUBSTR", "s", "1", "-2"}), "$3\r\nell\r\n");
  EXPECT_EQ(kv.run({"GETRANGE", "nope", "0", "-1"}), "$0\r\n\r\n");
}

TEST(StringCommands, SetrangePadsWithZerosAndIsBounded) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"SETRANGE", "s", "3", "ab"}), ":5\r\n");
  EXPECT_EQ(kv.run({"GET", "s"}), std::string("$5\r\n\0\0\0ab\r\n", 11));
  EXPECT_EQ(kv.run({"SETRANGE", "s", "0", "xyz"}), ":5\r\n");
  EXPECT_EQ(kv.run({"GET", "s"}), "$5\r\nxyzab\r\n");
  EXPECT_EQ(kv.run({"SETRANGE", "s", "100", ""}), ":5\r\n") << "an empty patch writes nothing";
  EXPECT_EQ(kv.run({"SETRANGE", "e", "100", ""}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "e"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SETRANGE", "s", "536870912", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  EXPECT_EQ(kv.run({"SETRANGE", "s", "536870911", "xy"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  EXPECT_EQ(kv.run({"SETRANGE", "s", "9223372036854775807", "x"}),
            "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n");
  EXPECT_EQ(kv.run({"SETRANGE", "s", "-1", "x"}), "-ERR offset is out of range\r\n");
  EXPECT_EQ(kv.run({"STRLEN", "s"}), ":5\r\n");
}

TEST(StringCommands, GetexChangesTheDeadlineInLogTime) {
  KvHarness kv;  // log time 1,000,000 ms
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"GETEX", "k", "EX", "10"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"PEXPIRETIME", "k"}), ":1010000\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "PX", "500"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"PTTL", "k"}), ":500\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "PXAT", "2000000"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"PEXPIRETIME", "k"}), ":2000000\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "EXAT", "3000"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"PEXPIRETIME", "k"}), ":3000000\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"PEXPIRETIME", "k"}), ":3000000\r\n") << "plain GETEX keeps it";
  EXPECT_EQ(kv.run({"GETEX", "k", "PERSIST"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "PXAT", "999999"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "k"}), ":0\r\n") << "a deadline in the past deletes the key";
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

TEST(StringCommands, GetexChecksTheAmountOnlyForAnExistingString) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"GETEX", "nope", "EX", "0"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"GETEX", "nope", "BOGUS"}), "-ERR syntax error\r\n");
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"GETEX", "k", "EX", "0"}), "-ERR invalid expire time in 'getex' command\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "EX", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"GETEX", "k", "PX", "9223372036854775807"}),
            "-ERR invalid expire time in 'getex' command\r\n")
      << "overflows once log time is added";
  EXPECT_EQ(kv.run({"GETEX", "k", "EX", "5", "PERSIST"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n");
}

}  // namespace
}  // namespace raftkv::kv
