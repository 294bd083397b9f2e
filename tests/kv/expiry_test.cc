// Key expiry: Redis's semantics, driven by log time (each write's time_ms), so that every
// replica deletes the same keys at the same log position; reads also hide keys whose
// deadline has passed on the reading node's clock.
#include <gtest/gtest.h>

#include "kv/expiry_table.h"
#include "kv_harness.h"
#include "legacy_snapshot.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

TEST(Expiry, SetExPxAndTtl) {
  KvHarness kv;  // log time starts at 1,000,000 ms
  EXPECT_EQ(kv.run({"SET", "a", "1", "EX", "10"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SET", "b", "1", "PX", "2500"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SET", "c", "1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"TTL", "a"}), ":10\r\n");
  EXPECT_EQ(kv.run({"PTTL", "b"}), ":2500\r\n");
  EXPECT_EQ(kv.run({"TTL", "b"}), ":3\r\n") << "rounded like Redis";
  EXPECT_EQ(kv.run({"TTL", "c"}), ":-1\r\n");
  EXPECT_EQ(kv.run({"TTL", "missing"}), ":-2\r\n");
  kv.time_ms += 2500;  // b's deadline: gone for readers at once
  EXPECT_EQ(kv.run({"GET", "b"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "a", "b", "c"}), ":2\r\n");
  EXPECT_EQ(kv.run({"TTL", "b"}), ":-2\r\n");
  EXPECT_EQ(kv.run({"TYPE", "b"}), "+none\r\n");
  EXPECT_EQ(kv.run({"MGET", "a", "b"}), "*2\r\n$1\r\n1\r\n$-1\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":3\r\n") << "not purged until a write at that log time";
  EXPECT_EQ(kv.run({"SET", "d", "1"}), "+OK\r\n");  // any write purges what is due
  EXPECT_EQ(kv.run({"DBSIZE"}), ":3\r\n");
  EXPECT_EQ(kv.sm.expiring_key_count(), 1u);
}

TEST(Expiry, ExpiredKeysAreAbsentForWrites) {
  KvHarness kv;
  kv.run({"SET", "n", "5", "PX", "100"});
  kv.time_ms += 100;
  EXPECT_EQ(kv.run({"INCR", "n"}), ":1\r\n") << "starts from nothing, not from 5";
  EXPECT_EQ(kv.run({"TTL", "n"}), ":-1\r\n");
  kv.run({"SET", "s", "x", "PX", "100"});
  kv.time_ms += 100;
  EXPECT_EQ(kv.run({"SET", "s", "y", "NX"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"APPEND", "gone", "z"}), ":1\r\n");
}

TEST(Expiry, WhatKeepsAndWhatDiscardsTheDeadline) {
  KvHarness kv;
  kv.run({"SET", "k", "1", "EX", "100"});
  EXPECT_EQ(kv.run({"INCR", "k"}), ":2\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":100\r\n") << "INCR keeps it";
  kv.run({"APPEND", "k", "0"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":100\r\n") << "APPEND keeps it";
  kv.run({"SET", "k", "v", "KEEPTTL"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":100\r\n") << "KEEPTTL keeps it";
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n") << "a plain SET discards it";
  kv.run({"SETEX", "k", "50", "v"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":50\r\n");
  EXPECT_EQ(kv.run({"GETSET", "k", "w"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n") << "GETSET discards it";
  kv.run({"PSETEX", "k", "1500", "v"});
  EXPECT_EQ(kv.run({"PTTL", "k"}), ":1500\r\n");
  kv.run({"MSET", "k", "v"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n") << "MSET discards it";
  kv.run({"SETEX", "k", "50", "v"});
  EXPECT_EQ(kv.run({"PERSIST", "k"}), ":1\r\n");
  EXPECT_EQ(kv.run({"PERSIST", "k"}), ":0\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n");
  kv.run({"SETEX", "k", "50", "v"});
  kv.run({"DEL", "k"});
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n") << "DEL took the deadline with the key";
}

TEST(Expiry, ExpireFamilyAndItsConditions) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"EXPIRE", "missing", "10"}), ":0\r\n");
  kv.run({"SET", "k", "v"});
  EXPECT_EQ(kv.run({"EXPIRE", "k", "10", "XX"}), ":0\r\n") << "XX: only with a deadline";
  EXPECT_EQ(kv.run({"EXPIRE", "k", "10", "GT"}), ":0\r\n") << "none counts as infinite";
  EXPECT_EQ(kv.run({"EXPIRE", "k", "10", "NX"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EXPIRE", "k", "20", "NX"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXPIRE", "k", "5", "GT"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXPIRE", "k", "20", "GT"}), ":1\r\n");
  EXPECT_EQ(kv.run({"EXPIRE", "k", "30", "LT"}), ":0\r\n");
  EXPECT_EQ(kv.run({"PEXPIRE", "k", "1500", "LT"}), ":1\r\n");
  EXPECT_EQ(kv.run({"PTTL", "k"}), ":1500\r\n");
  EXPECT_EQ(kv.run({"PEXPIREAT", "k", "1002000"}), ":1\r\n");  // absolute ms
  EXPECT_EQ(kv.run({"PTTL", "k"}), ":2000\r\n");
  EXPECT_EQ(kv.run({"EXPIREAT", "k", "1003"}), ":1\r\n");  // absolute s
  EXPECT_EQ(kv.run({"PTTL", "k"}), ":3000\r\n");
  EXPECT_EQ(kv.run({"EXPIRE", "k", "0"}), ":1\r\n") << "a past deadline deletes the key";
  EXPECT_EQ(kv.run({"EXISTS", "k"}), ":0\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
  kv.run({"SET", "k", "v", "PXAT", "999999"});  // already past: the key is gone at once
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
}

TEST(Expiry, ScanSkipsExpiredKeys) {
  KvHarness kv;
  kv.run({"SET", "live", "1"});
  kv.run({"SET", "dead", "1", "PX", "10"});
  kv.time_ms += 10;
  EXPECT_EQ(kv.run({"SCAN", "0", "COUNT", "100"}), "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nlive\r\n");
}

// Each entry purges at most kExpiredKeysPurgedPerEntry due keys, earliest first.
TEST(Expiry, PurgingIsBoundedPerEntryAndEarliestFirst) {
  KvHarness kv;
  for (int i = 0; i < 100; ++i) {
    kv.run({"SET", "k" + std::to_string(i), "v", "PX", std::to_string(1000 + i)});
  }
  kv.time_ms += 5000;
  kv.run({"SET", "other", "v"});
  EXPECT_EQ(kv.sm.key_count(), 101u - kExpiredKeysPurgedPerEntry);
  EXPECT_EQ(kv.run({"EXISTS", "k99"}), ":0\r\n") << "hidden from reads even if not purged";
  kv.run({"SET", "other", "v"});
  EXPECT_EQ(kv.sm.key_count(), 1u);
  EXPECT_EQ(kv.sm.expiring_key_count(), 0u);
}

// The leader's expiry tick (for clusters without writes): a PING entry that purges due
// keys, more per entry than an ordinary write, and changes nothing else.
TEST(Expiry, AnExpiryTickPurgesDueKeys) {
  KvHarness kv;
  for (int i = 0; i < 100; ++i) {
    kv.run({"SET", "k" + std::to_string(i), "v", "PX", std::to_string(1000 + i)});
  }
  kv.run({"SET", "stays", "v", "EX", "1000"});
  EXPECT_FALSE(kv.sm.has_expired_keys(kv.time_ms));
  EXPECT_TRUE(kv.sm.has_expired_keys(kv.time_ms + 1000));
  const std::string digest_before = kv.sm.digest();
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(expiry_tick_command(kv.time_ms))),
            "+PONG\r\n");
  EXPECT_EQ(kv.sm.digest(), digest_before) << "nothing due yet";
  EXPECT_EQ(kv.sm.apply(++kv.index, encode_log_command(expiry_tick_command(kv.time_ms + 5000))),
            "+PONG\r\n");
  EXPECT_EQ(kv.sm.key_count(), 1u);
  EXPECT_FALSE(kv.sm.has_expired_keys(kv.time_ms + 5000));
}

// Replicas that apply the same entries agree, whatever their clocks: expiry follows the
// entries' time, and snapshots carry the deadlines.
TEST(Expiry, ReplicasAndSnapshotsAgree) {
  KvHarness a;
  a.run({"SET", "x", "1", "EX", "5"});
  a.run({"SET", "y", "2"});
  a.run({"EXPIRE", "y", "100"});
  StateMachine b;
  ASSERT_TRUE(b.restore(a.sm.serialize()).ok());
  EXPECT_EQ(b.digest(), a.sm.digest());
  EXPECT_EQ(b.expiring_key_count(), 2u);
  EXPECT_EQ(b.serialize(), a.sm.serialize());
  // The deadline is part of the digest: the same data without it differs.
  KvHarness c;
  c.run({"SET", "x", "1"});
  c.run({"SET", "y", "2"});
  EXPECT_NE(c.sm.digest(), a.sm.digest());
}

TEST(Expiry, SnapshotsOfTheFirstFormatStillRestore) {
  // A version-1 image (no deadlines) of a state with one string restores to that state.
  KvHarness kv;
  kv.run({"SET", "k", "v"});
  testing::LegacyImage v1;
  v1.version = 1;
  v1.applied_index = kv.sm.applied_index();
  v1.log_time_ms = kv.sm.log_time_ms();
  v1.strings = {{"k", "v"}};
  StateMachine restored;
  ASSERT_TRUE(restored.restore(testing::legacy_image(v1)).ok());
  EXPECT_EQ(restored.digest(), kv.sm.digest());
  EXPECT_EQ(restored.read({"GET", "k"}), "$1\r\nv\r\n");
  // Re-serialized in the current format, which restores to the same state again.
  StateMachine again;
  ASSERT_TRUE(again.restore(restored.serialize()).ok());
  EXPECT_EQ(again.serialize(), restored.serialize());
}

// A read may decide expiry with the serving node's clock only where that agrees with log
// time; a key due by the node's clock but not yet in log time needs an expiry tick first
// (the server's request path), so that a key read as gone never comes back after a
// leadership change to a node whose clock is behind.
TEST(Expiry, ReadsNamingKeysDueOnlyByTheLocalClockNeedLogTime) {
  KvHarness kv;  // log time 1,000,000
  kv.run({"SET", "a", "1", "PX", "300"});
  kv.run({"SET", "b", "1", "PX", "5000"});
  kv.run({"SET", "c", "1"});
  auto needs = [&](const Argv& argv, uint64_t now) {
    const Classification c = classify(argv);
    return kv.sm.read_needs_log_time(*c.spec, argv, now);
  };
  EXPECT_FALSE(needs({"GET", "a"}, 1'000'299)) << "not due yet";
  EXPECT_TRUE(needs({"GET", "a"}, 1'000'300)) << "due by the clock, alive in log time";
  EXPECT_FALSE(needs({"GET", "b"}, 1'000'300));
  EXPECT_FALSE(needs({"GET", "c"}, 9'000'000)) << "no deadline";
  EXPECT_TRUE(needs({"MGET", "c", "a"}, 1'000'300)) << "any key it names";
  EXPECT_TRUE(needs({"EXISTS", "c", "b"}, 1'000'300 + 4700));
  EXPECT_TRUE(needs({"DBSIZE"}, 1'000'300)) << "a keyless read looks at every key";
  EXPECT_FALSE(needs({"DBSIZE"}, 1'000'299));
  EXPECT_FALSE(needs({"GET", "a"}, 999'000)) << "a clock behind log time";
  // Once log time has passed the deadline, the key is gone at log time: nothing to wait for.
  kv.time_ms += 300;
  kv.run({"SET", "c", "2"});
  EXPECT_FALSE(needs({"GET", "a"}, 1'000'400));
  EXPECT_EQ(kv.sm.read({"GET", "a"}), "$-1\r\n");
}

TEST(ExpiryTable, MovesAndRemovesDeadlines) {
  ExpiryTable t;
  t.set("a", 30);
  t.set("b", 10);
  EXPECT_EQ(t.first_due(9), std::nullopt);
  EXPECT_EQ(t.first_due(10), "b");
  t.set("b", 40);
  EXPECT_EQ(t.first_due(35), "a");
  EXPECT_TRUE(t.remove("a"));
  EXPECT_FALSE(t.remove("a"));
  EXPECT_EQ(t.first_due(35), std::nullopt);
  EXPECT_EQ(t.get("b"), 40u);
  EXPECT_EQ(t.size(), 1u);
}

TEST(Expiry, RelativeTimesThatOverflowWithLogTimeAreRefused) {
  KvHarness kv;
  kv.run({"SET", "k", "v"});
  const std::string expire_error = "-ERR invalid expire time in 'pexpire' command\r\n";
  EXPECT_EQ(kv.run({"PEXPIRE", "k", "9223372036854775807"}), expire_error);
  EXPECT_EQ(kv.run({"PEXPIRE", "nope", "9223372036854775807"}), expire_error);
  EXPECT_EQ(kv.run({"SET", "k", "v", "PX", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(kv.run({"PSETEX", "k", "9223372036854775807", "v"}),
            "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(kv.run({"TTL", "k"}), ":-1\r\n");
}

}  // namespace
}  // namespace raftkv::kv
