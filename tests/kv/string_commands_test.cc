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

// OBJECT ENCODING of a string follows how it was made, as in Redis 7.0 (each case checked
// against redis-server 7.0.15).
TEST(StringCommands, EncodingFollowsHowTheStringWasMade) {
  KvHarness kv;
  const auto encoding = [&](const std::string& key) {
    const std::string reply = kv.run({"OBJECT", "ENCODING", key});
    const size_t body = reply.find("\r\n") + 2;
    return reply.substr(body, reply.size() - body - 2);
  };
  kv.run({"SET", "a", "10"});
  EXPECT_EQ(encoding("a"), "int");
  kv.run({"APPEND", "a", ""});
  EXPECT_EQ(encoding("a"), "raw") << "APPEND changes it in place, even by nothing";
  kv.run({"INCR", "a"});
  EXPECT_EQ(encoding("a"), "int");
  kv.run({"APPEND", "new", "42"});
  EXPECT_EQ(encoding("new"), "int") << "a new key: the argument, as SET stores it";
  kv.run({"SETRANGE", "r", "2", "x y"});
  EXPECT_EQ(encoding("r"), "raw");
  kv.run({"SET", "d", "10"});
  kv.run({"SETRANGE", "d", "0", ""});
  EXPECT_EQ(encoding("d"), "int") << "setting nothing changes nothing";
  kv.run({"MSET", "m", "10", "n", "abc"});
  EXPECT_EQ(encoding("m"), "int");
  EXPECT_EQ(encoding("n"), "embstr");
  kv.run({"INCRBYFLOAT", "f", "3"});
  EXPECT_EQ(encoding("f"), "embstr") << "a number printed, never an int";
  kv.run({"SET", "b", "10"});
  kv.run({"SETBIT", "b", "0", "0"});
  EXPECT_EQ(encoding("b"), "raw");
  kv.run({"BITOP", "OR", "op", "b"});
  EXPECT_EQ(encoding("op"), "raw");
  kv.run({"SET", "bf", "10"});
  kv.run({"BITFIELD", "bf", "GET", "u8", "0"});
  EXPECT_EQ(encoding("bf"), "int") << "only reading";
  kv.run({"BITFIELD", "bf", "SET", "u8", "0", "1"});
  EXPECT_EQ(encoding("bf"), "raw");
  kv.run({"PFADD", "hll", "x"});
  EXPECT_EQ(encoding("hll"), "raw");
  kv.run({"SET", "s44", std::string(44, 'x')});
  kv.run({"SET", "s45", std::string(45, 'x')});
  kv.run({"SET", "huge", "12345678901234567890"});  // beyond int64
  EXPECT_EQ(encoding("s44"), "embstr");
  EXPECT_EQ(encoding("s45"), "raw");
  EXPECT_EQ(encoding("huge"), "embstr");
  kv.run({"COPY", "r", "r2"});
  EXPECT_EQ(encoding("r2"), "raw") << "COPY keeps the encoding";
  kv.run({"SET", "r", "7"});
  EXPECT_EQ(encoding("r"), "int") << "SET makes it anew";
  KvHarness restored;  // snapshots keep it
  ASSERT_TRUE(restored.sm.restore(kv.sm.serialize()).is_ok());
  for (const std::string key : {"a", "b", "f", "r2", "m"}) {
    EXPECT_EQ(restored.run({"OBJECT", "ENCODING", key}), kv.run({"OBJECT", "ENCODING", key}))
        << key;
  }
  EXPECT_EQ(restored.sm.serialize(), kv.sm.serialize());
}

}  // namespace
}  // namespace raftkv::kv
