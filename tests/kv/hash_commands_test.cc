// Hashes: field order, empty hashes vanish, type checks, and the number formats of
// HINCRBY / HINCRBYFLOAT (the byte-for-byte comparison with redis-server is in
// redis_compat_test.cc).
#include <gtest/gtest.h>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

TEST(HashCommands, FieldsComeBackInByteOrderWhateverTheInsertionOrder) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"HSET", "h", "c", "3", "a", "1"}), ":2\r\n");
  EXPECT_EQ(kv.run({"HSET", "h", "b", "2", "a", "0"}), ":1\r\n") << "a was only updated";
  EXPECT_EQ(kv.run({"HGETALL", "h"}), bulks({"a", "0", "b", "2", "c", "3"}));
  EXPECT_EQ(kv.run({"HKEYS", "h"}), bulks({"a", "b", "c"}));
  EXPECT_EQ(kv.run({"HVALS", "h"}), bulks({"0", "2", "3"}));
  EXPECT_EQ(kv.run({"TYPE", "h"}), "+hash\r\n");
}

TEST(HashCommands, DeletingTheLastFieldDeletesTheKeyAndItsDeadline) {
  KvHarness kv;
  kv.run({"HSET", "h", "f", "v"});
  kv.run({"EXPIRE", "h", "100"});
  EXPECT_EQ(kv.run({"HDEL", "h", "f", "f"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "h"}), ":0\r\n");
  EXPECT_EQ(kv.sm.expiring_key_count(), 0u);
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

TEST(HashCommands, FailedIncrementsLeaveNoEmptyHashBehind) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"HINCRBYFLOAT", "h", "f", "1e5000"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(kv.run({"HINCRBYFLOAT", "h", "f", "1.5"}), "$3\r\n1.5\r\n");
  EXPECT_EQ(kv.run({"HINCRBY", "h", "f", "1"}), "-ERR hash value is not an integer\r\n");
  EXPECT_EQ(kv.run({"HINCRBY", "h", "n", "-9223372036854775808"}), ":-9223372036854775808\r\n");
  EXPECT_EQ(kv.run({"HINCRBY", "h", "n", "-1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(kv.run({"HGET", "h", "n"}), "$20\r\n-9223372036854775808\r\n");
  EXPECT_EQ(kv.run({"HDEL", "h", "f", "n"}), ":2\r\n");
  EXPECT_EQ(kv.sm.key_count(), 0u);
}

TEST(HashCommands, WrongTypeBothWays) {
  KvHarness kv;
  kv.run({"HSET", "h", "f", "v"});
  kv.run({"SET", "s", "v"});
  const std::string wrong =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  EXPECT_EQ(kv.run({"HGET", "s", "f"}), wrong);
  EXPECT_EQ(kv.run({"HSET", "s", "f", "v"}), wrong);
  EXPECT_EQ(kv.run({"GET", "h"}), wrong);
  EXPECT_EQ(kv.run({"INCR", "h"}), wrong);
  EXPECT_EQ(kv.run({"HGET", "h", "f"}), "$1\r\nv\r\n") << "a refused command changes nothing";
  // SET replaces a value of any type, and the key is a string from then on.
  EXPECT_EQ(kv.run({"SET", "h", "x"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"TYPE", "h"}), "+string\r\n");
}

TEST(HashCommands, ExpiredHashesReadAsAbsentAndAreReplacedByWrites) {
  KvHarness kv;
  kv.run({"HSET", "h", "f", "v"});
  kv.run({"PEXPIRE", "h", "10"});
  kv.time_ms += 10;
  EXPECT_EQ(kv.run({"HLEN", "h"}), ":0\r\n");
  EXPECT_EQ(kv.run({"HSETNX", "h", "f", "new"}), ":1\r\n") << "the expired hash was dropped";
  EXPECT_EQ(kv.run({"TTL", "h"}), ":-1\r\n");
}

}  // namespace
}  // namespace raftkv::kv
