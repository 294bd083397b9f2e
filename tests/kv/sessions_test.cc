// Exactly-once sessions: retried writes are answered from the session table, stale ones
// are refused, and sessions expire by log time alone.
#include <gtest/gtest.h>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

TEST(Sessions, OpenReturnsTheEntryIndex) {
  KvHarness kv;
  kv.run({"SET", "a", "1"});
  EXPECT_EQ(kv.run({"SESSION", "OPEN"}), ":2\r\n");
  EXPECT_EQ(kv.run({"session", "open"}), ":3\r\n");
  EXPECT_EQ(kv.sm.session_count(), 2u);
}

TEST(Sessions, RetriedWriteIsAppliedOnce) {
  KvHarness kv;
  const std::string sid = "1";
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "1", "INCR", "n"}), ":1\r\n");
  // The same write again (a client retry after a lost reply or a failover).
  EXPECT_EQ(kv.run({"SEQ", sid, "1", "INCR", "n"}), ":1\r\n");
  EXPECT_EQ(kv.run({"GET", "n"}), "$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "2", "INCR", "n"}), ":2\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "2", "INCR", "n"}), ":2\r\n");
  // Sequence numbers may skip; older ones are refused.
  EXPECT_EQ(kv.run({"SEQ", sid, "10", "INCRBY", "n", "5"}), ":7\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "2", "INCR", "n"}), "-ERR stale sequence number\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "10", "INCRBY", "n", "5"}), ":7\r\n");
  EXPECT_EQ(kv.run({"GET", "n"}), "$1\r\n7\r\n");
  // Error replies are remembered too.
  EXPECT_EQ(kv.run({"SET", "s", "x"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "11", "INCR", "s"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"SET", "s", "5"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SEQ", sid, "11", "INCR", "s"}),
            "-ERR value is not an integer or out of range\r\n");
}

TEST(Sessions, RetriedCollectionWritesAreAppliedOnce) {
  KvHarness kv;
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "1", "LPUSH", "l", "a"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "1", "LPUSH", "l", "a"}), ":1\r\n");  // a retry
  EXPECT_EQ(kv.run({"LLEN", "l"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "2", "HINCRBY", "h", "f", "5"}), ":5\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "2", "HINCRBY", "h", "f", "5"}), ":5\r\n");
  EXPECT_EQ(kv.run({"HGET", "h", "f"}), "$1\r\n5\r\n");
  // A pop's retry gets the element it popped the first time and pops nothing more.
  EXPECT_EQ(kv.run({"SADD", "s", "x", "y"}), ":2\r\n");
  const std::string popped = kv.run({"SEQ", "1", "3", "SPOP", "s"});
  EXPECT_EQ(kv.run({"SEQ", "1", "3", "SPOP", "s"}), popped);
  EXPECT_EQ(kv.run({"SCARD", "s"}), ":1\r\n");
  // Reads cannot be tagged.
  EXPECT_EQ(kv.run({"SEQ", "1", "4", "LRANGE", "l", "0", "-1"}),
            "-ERR SEQ only tags data-changing commands (not 'lrange')\r\n");
}

TEST(Sessions, UnknownOrClosedSessionIsRefused) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"SEQ", "99", "1", "SET", "k", "v"}),
            "-ERR unknown session: never opened, closed or expired\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "k"}), ":0\r\n");
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":2\r\n");
  EXPECT_EQ(kv.run({"SESSION", "CLOSE", "2"}), ":1\r\n");
  EXPECT_EQ(kv.run({"SESSION", "CLOSE", "2"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SEQ", "2", "1", "SET", "k", "v"}),
            "-ERR unknown session: never opened, closed or expired\r\n");
}

TEST(Sessions, ExpireByLogTimeOnly) {
  StateMachineOptions options;
  options.sessions.ttl_ms = 1000;
  KvHarness kv(options);
  kv.time_ms = 10'000;
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":1\r\n");
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":2\r\n");
  kv.time_ms = 10'900;
  EXPECT_EQ(kv.run({"SEQ", "2", "1", "SET", "k", "v"}), "+OK\r\n");  // keeps session 2 alive
  // A leader with a clock that went backwards does not move log time back.
  kv.time_ms = 5'000;
  EXPECT_EQ(kv.run({"SET", "x", "y"}), "+OK\r\n");
  EXPECT_EQ(kv.sm.log_time_ms(), 10'900u);
  kv.time_ms = 11'001;  // 1001 ms after session 1's last use, 101 after session 2's
  EXPECT_EQ(kv.run({"SET", "x", "z"}), "+OK\r\n");
  EXPECT_EQ(kv.sm.session_count(), 1u);
  EXPECT_EQ(kv.run({"SEQ", "1", "1", "SET", "k", "v"}),
            "-ERR unknown session: never opened, closed or expired\r\n");
  EXPECT_EQ(kv.run({"SEQ", "2", "1", "SET", "k", "v"}), "+OK\r\n");
}

TEST(Sessions, TableIsBoundedLeastRecentlyUsedFirst) {
  StateMachineOptions options;
  options.sessions.max_sessions = 2;
  KvHarness kv(options);
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":1\r\n");
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":2\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "1", "SET", "k", "v"}), "+OK\r\n");  // 1 is now the newest
  ASSERT_EQ(kv.run({"SESSION", "OPEN"}), ":4\r\n");                  // evicts 2
  EXPECT_EQ(kv.sm.session_count(), 2u);
  EXPECT_EQ(kv.run({"SEQ", "2", "1", "SET", "k", "v"}),
            "-ERR unknown session: never opened, closed or expired\r\n");
  EXPECT_EQ(kv.run({"SEQ", "1", "1", "SET", "k", "v"}), "+OK\r\n");
}

TEST(Sessions, ReplicasWithEqualLogsAgree) {
  // Two replicas applying the same entries end in identical states, byte for byte.
  KvHarness a;
  KvHarness b;
  for (KvHarness* kv : {&a, &b}) {
    kv->run({"SESSION", "OPEN"});
    kv->run({"SEQ", "1", "1", "SET", "k", "v"});
    kv->run({"SEQ", "1", "1", "SET", "k", "v"});
    kv->run({"INCR", "n"});
  }
  EXPECT_EQ(a.sm.serialize(), b.sm.serialize());
}

}  // namespace
}  // namespace raftkv::kv
