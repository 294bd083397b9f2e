// RENAME, RENAMENX, RANDOMKEY, EXPIRETIME and PEXPIRETIME: what moves with a renamed key
// (value of any type, deadline), what is dropped, and which keys RANDOMKEY may pick.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

TEST(KeyspaceCommands, RenameMovesTheValueAndItsDeadline) {
  KvHarness kv;  // log time 1,000,000 ms
  kv.run({"RPUSH", "src", "a", "b"});
  kv.run({"PEXPIRE", "src", "5000"});
  kv.run({"SET", "dst", "old"});
  kv.run({"PEXPIRE", "dst", "100"});
  EXPECT_EQ(kv.run({"RENAME", "src", "dst"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "src"}), ":0\r\n");
  EXPECT_EQ(kv.run({"LRANGE", "dst", "0", "-1"}), bulks({"a", "b"}));
  EXPECT_EQ(kv.run({"PTTL", "dst"}), ":5000\r\n") << "the source's deadline moved";
  EXPECT_EQ(kv.sm.expiring_key_count(), 1u) << "the destination's old deadline is gone";
  EXPECT_EQ(kv.sm.key_count(), 1u);
}

TEST(KeyspaceCommands, RenameOfAKeyWithoutDeadlineClearsTheDestinations) {
  KvHarness kv;
  kv.run({"SADD", "src", "m"});
  kv.run({"SET", "dst", "v", "EX", "100"});
  EXPECT_EQ(kv.run({"RENAME", "src", "dst"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"TTL", "dst"}), ":-1\r\n");
  EXPECT_EQ(kv.run({"TYPE", "dst"}), "+set\r\n");
  EXPECT_EQ(kv.sm.expiring_key_count(), 0u);
}

TEST(KeyspaceCommands, RenameToItselfAndMissingSources) {
  KvHarness kv;
  kv.run({"SET", "k", "v", "EX", "100"});
  EXPECT_EQ(kv.run({"RENAME", "k", "k"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"RENAMENX", "k", "k"}), ":0\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":100\r\n");
  EXPECT_EQ(kv.run({"RENAME", "nope", "k"}), "-ERR no such key\r\n");
  EXPECT_EQ(kv.run({"RENAMENX", "nope", "nope"}), "-ERR no such key\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$1\r\nv\r\n");
}

TEST(KeyspaceCommands, RenamenxOnlyToAFreeName) {
  KvHarness kv;
  kv.run({"SET", "a", "1"});
  kv.run({"HSET", "b", "f", "v"});
  EXPECT_EQ(kv.run({"RENAMENX", "a", "b"}), ":0\r\n");
  EXPECT_EQ(kv.run({"GET", "a"}), "$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"RENAMENX", "b", "c"}), ":1\r\n");
  EXPECT_EQ(kv.run({"HGETALL", "c"}), bulks({"f", "v"}));
  EXPECT_EQ(kv.run({"EXISTS", "b"}), ":0\r\n");
}

TEST(KeyspaceCommands, AnExpiredSourceOrDestinationIsAbsent) {
  KvHarness kv;
  kv.run({"SET", "gone", "v", "PX", "10"});
  kv.run({"SET", "dst", "d", "PX", "10"});
  kv.run({"SET", "live", "v"});
  kv.time_ms += 10;
  EXPECT_EQ(kv.run({"RENAME", "gone", "x"}), "-ERR no such key\r\n");
  EXPECT_EQ(kv.run({"RENAMENX", "live", "dst"}), ":1\r\n") << "an expired destination is free";
  EXPECT_EQ(kv.run({"TTL", "dst"}), ":-1\r\n");
}

TEST(KeyspaceCommands, ExpiretimeIsTheAbsoluteDeadline) {
  KvHarness kv;  // log time 1,000,000 ms
  kv.run({"SET", "k", "v", "PX", "1499"});
  kv.run({"SET", "p", "v"});
  EXPECT_EQ(kv.run({"PEXPIRETIME", "k"}), ":1001499\r\n");
  EXPECT_EQ(kv.run({"EXPIRETIME", "k"}), ":1001\r\n") << "rounded like Redis";
  EXPECT_EQ(kv.run({"EXPIRETIME", "p"}), ":-1\r\n");
  EXPECT_EQ(kv.run({"PEXPIRETIME", "nope"}), ":-2\r\n");
  kv.time_ms += 1499;
  EXPECT_EQ(kv.run({"EXPIRETIME", "k"}), ":-2\r\n");
}

TEST(KeyspaceCommands, RandomkeyPicksOnlyLiveKeys) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"RANDOMKEY"}), "$-1\r\n");
  for (int i = 0; i < 20; ++i) kv.run({"SET", "dead" + std::to_string(i), "v", "PX", "10"});
  kv.run({"SET", "alive", "v"});
  kv.time_ms += 10;  // the dead keys are still stored, but no longer readable
  for (int i = 0; i < 20; ++i) EXPECT_EQ(kv.run({"RANDOMKEY"}), "$5\r\nalive\r\n");
  kv.run({"DEL", "alive"});
  EXPECT_EQ(kv.run({"RANDOMKEY"}), "$-1\r\n");
}

TEST(KeyspaceCommands, RandomkeyVaries) {
  KvHarness kv;
  for (int i = 0; i < 50; ++i) kv.run({"SET", "k" + std::to_string(i), "v"});
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) seen.insert(kv.run({"RANDOMKEY"}));
  EXPECT_GT(seen.size(), 5u);
}

}  // namespace
}  // namespace raftkv::kv
