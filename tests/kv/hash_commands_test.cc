// Hashes: field order, empty hashes vanish, type checks, and the number formats of
// HINCRBY / HINCRBYFLOAT (the byte-for-byte comparison with redis-server is in
// redis_compat_test.cc).
#include <gtest/gtest.h>

#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

// As in Redis 7.0's listpacks: new fields go to the end, an update keeps the field's place.
TEST(HashCommands, FieldsComeBackInInsertionOrder) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"HSET", "h", "c", "3", "a", "1"}), ":2\r\n");
  EXPECT_EQ(kv.run({"HSET", "h", "b", "2", "a", "0"}), ":1\r\n") << "a was only updated";
  EXPECT_EQ(kv.run({"HGETALL", "h"}), bulks({"c", "3", "a", "0", "b", "2"}));
  EXPECT_EQ(kv.run({"HKEYS", "h"}), bulks({"c", "a", "b"}));
  EXPECT_EQ(kv.run({"HVALS", "h"}), bulks({"3", "0", "2"}));
  EXPECT_EQ(kv.run({"TYPE", "h"}), "+hash\r\n");
  kv.run({"HDEL", "h", "c"});
  kv.run({"HINCRBY", "h", "c", "5"});
  kv.run({"HINCRBYFLOAT", "h", "a", "1.5"});
  kv.run({"HSETNX", "h", "d", "4"});
  EXPECT_EQ(kv.run({"HGETALL", "h"}), bulks({"a", "1.5", "b", "2", "c", "5", "d", "4"}));
  EXPECT_EQ(kv.run({"HSCAN", "h", "0", "COUNT", "1"}),
            "*2\r\n$1\r\n0\r\n" + bulks({"a", "1.5", "b", "2", "c", "5", "d", "4"}))
      << "a listpack comes whole, in one page";
  EXPECT_EQ(kv.run({"HRANDFIELD", "h", "4", "WITHVALUES"}),
            bulks({"a", "1.5", "b", "2", "c", "5", "d", "4"}))
      << "all of it: in order";
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "h"}), "$8\r\nlistpack\r\n");
}

// The order lives in snapshots and digests, and replicas given the same commands agree.
TEST(HashCommands, OrderSurvivesSnapshotsAndCopies) {
  KvHarness a;
  KvHarness b;
  for (KvHarness* kv : {&a, &b}) kv->run({"HSET", "h", "z", "1", "y", "2"});
  a.run({"HSET", "g", "x", "1"});
  EXPECT_NE(a.sm.digest(), b.sm.digest());
  b.run({"HSET", "g", "x", "1"});
  EXPECT_EQ(a.sm.digest(), b.sm.digest());
  KvHarness other_order;
  other_order.run({"HSET", "h", "y", "2", "z", "1"});
  other_order.run({"HSET", "g", "x", "1"});
  EXPECT_NE(other_order.sm.digest(), a.sm.digest()) << "the order is part of the state";
  KvHarness restored;
  ASSERT_TRUE(restored.sm.restore(a.sm.serialize()).is_ok());
  EXPECT_EQ(restored.run({"HKEYS", "h"}), bulks({"z", "y"}));
  EXPECT_EQ(restored.sm.digest(), a.sm.digest());
  EXPECT_EQ(restored.sm.serialize(), a.sm.serialize());
  a.run({"COPY", "h", "copied"});
  EXPECT_EQ(a.run({"HKEYS", "copied"}), bulks({"z", "y"}));
  a.run({"RENAME", "copied", "moved"});
  EXPECT_EQ(a.run({"HKEYS", "moved"}), bulks({"z", "y"}));
}

// Redis converts a listpack to a hashtable for good past 512 fields or 64 bytes (checked
// against redis-server 7.0.15, whose hash-max-listpack-entries is 512).
TEST(HashCommands, ListpackBecomesAHashtableForGood) {
  KvHarness kv;
  const std::string long_value(65, 'v');
  kv.run({"HSET", "h", "a", "1"});
  kv.run({"HSET", "h", "b", std::string(64, 'v')});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "h"}), "$8\r\nlistpack\r\n");
  kv.run({"HSET", "h", "b", long_value});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "h"}), "$9\r\nhashtable\r\n");
  kv.run({"HDEL", "h", "b"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "h"}), "$9\r\nhashtable\r\n");
  kv.run({"HSET", "n", "a", "1"});
  EXPECT_EQ(kv.run({"HSETNX", "n", "a", long_value}), ":0\r\n");
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "n"}), "$8\r\nlistpack\r\n") << "nothing added";
  EXPECT_EQ(kv.run({"HSETNX", "n", "b", long_value}), ":1\r\n");
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "n"}), "$9\r\nhashtable\r\n");
  kv.run({"HINCRBY", "i", std::string(65, 'f'), "1"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "i"}), "$9\r\nhashtable\r\n");
  for (int i = 0; i < 512; ++i) kv.run({"HSET", "big", "f" + std::to_string(i), "v"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "big"}), "$8\r\nlistpack\r\n");
  kv.run({"HSET", "big", "one-more", "v"});
  EXPECT_EQ(kv.run({"OBJECT", "ENCODING", "big"}), "$9\r\nhashtable\r\n");
  kv.run({"HDEL", "big", "one-more"});
  KvHarness restored;  // snapshots keep the conversion
  ASSERT_TRUE(restored.sm.restore(kv.sm.serialize()).is_ok());
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "big"}), "$9\r\nhashtable\r\n");
  EXPECT_EQ(restored.run({"OBJECT", "ENCODING", "h"}), "$9\r\nhashtable\r\n");
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
