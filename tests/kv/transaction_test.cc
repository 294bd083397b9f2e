// MULTI/EXEC at the state machine: a transaction entry runs all its commands at one log
// position, and WATCH's decision depends only on the replicated state (transaction.h).
#include "kv/transaction.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <functional>

#include "kv/hashed_key.h"
#include "kv/watch_versions.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

struct TxHarness : KvHarness {
  // Applies a transaction of `queued`, watching `watched` from log index `since`.
  std::string exec(std::vector<Argv> queued, std::vector<std::string> watched = {},
                   uint64_t since = 0, uint64_t session = 0, uint64_t seq = 0) {
    LogCommand tx;
    tx.transaction = true;
    tx.session_id = session;
    tx.seq = seq;
    tx.time_ms = time_ms;
    tx.queued = std::move(queued);
    tx.watched = std::move(watched);
    tx.watch_index = since;
    return sm.apply(++index, encode_log_command(tx));
  }
};

// Two keys in different WATCH buckets (a change to one never aborts a watch on the other).
std::pair<std::string, std::string> keys_in_different_buckets() {
  const std::string a = "a";
  for (int i = 0;; ++i) {
    std::string b = "b" + std::to_string(i);
    if (key_hash(a) % WatchVersions::kBuckets != key_hash(b) % WatchVersions::kBuckets) {
      return {a, b};
    }
  }
}

TEST(Transaction, RunsEveryCommandInOrderAndReadsSeeEarlierWrites) {
  TxHarness kv;
  EXPECT_EQ(kv.exec({{"SET", "x", "1"}, {"INCR", "x"}, {"GET", "x"}, {"PING"}, {"ECHO", "e"}}),
            "*5\r\n+OK\r\n:2\r\n$1\r\n2\r\n+PONG\r\n$1\r\ne\r\n");
  EXPECT_EQ(kv.sm.applied_index(), 1u) << "one entry";
  EXPECT_EQ(kv.exec({}), "*0\r\n");
}

TEST(Transaction, AnErrorInOneCommandDoesNotStopTheOthers) {
  TxHarness kv;
  kv.run({"LPUSH", "list", "a"});
  EXPECT_EQ(kv.exec({{"SET", "s", "1"}, {"INCR", "list"}, {"INCR", "s"}}),
            "*3\r\n+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of "
            "value\r\n:2\r\n");
}

TEST(Transaction, AWatchedKeyChangedAfterTheWatchAbortsAndChangesNothing) {
  TxHarness kv;
  kv.run({"SET", "w", "1"});
  const uint64_t watched_at = kv.index;
  kv.run({"SET", "w", "2"});  // another client, after the WATCH
  EXPECT_EQ(kv.exec({{"SET", "w", "mine"}, {"SET", "other", "x"}}, {"w"}, watched_at), "*-1\r\n");
  EXPECT_EQ(kv.run({"GET", "w"}), "$1\r\n2\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "other"}), ":0\r\n");
  // Watched after that change: it runs.
  EXPECT_EQ(kv.exec({{"SET", "w", "mine"}}, {"w"}, kv.index), "*1\r\n+OK\r\n");
}

TEST(Transaction, AChangeToAnUnwatchedKeyInAnotherBucketDoesNotAbort) {
  TxHarness kv;
  const auto [watched, other] = keys_in_different_buckets();
  kv.run({"SET", watched, "1"});
  const uint64_t since = kv.index;
  kv.run({"SET", other, "2"});
  EXPECT_EQ(kv.exec({{"INCR", watched}}, {watched}, since), "*1\r\n:2\r\n");
}

TEST(Transaction, DeletionExpiryAndFlushAllCountAsChanges) {
  TxHarness kv;
  const auto abort_after = [&](const Argv& change) {
    kv.run({"SET", "w", "1"});
    const uint64_t since = kv.index;
    kv.run(change);
    return kv.exec({{"SET", "w", "tx"}}, {"w"}, since) == "*-1\r\n";
  };
  EXPECT_TRUE(abort_after({"DEL", "w"}));
  EXPECT_TRUE(abort_after({"FLUSHALL"}));
  EXPECT_TRUE(abort_after({"PEXPIRE", "w", "100000"}));
  EXPECT_TRUE(abort_after({"SET", "w", "1"})) << "a write of the same value is a change";
  // A key that expires between WATCH and EXEC, with no entry purging it meanwhile.
  kv.run({"SET", "w", "1", "PX", "50"});
  const uint64_t since = kv.index;
  kv.time_ms += 100;
  EXPECT_EQ(kv.exec({{"GET", "w"}}, {"w"}, since), "*-1\r\n");
  // A missing key that is created after the WATCH.
  const uint64_t before = kv.index;
  kv.run({"SET", "new", "1"});
  EXPECT_EQ(kv.exec({{"GET", "new"}}, {"new"}, before), "*-1\r\n");
}

TEST(Transaction, ASessionTaggedTransactionAppliesOnce) {
  TxHarness kv;
  const std::string open = kv.run({"SESSION", "OPEN"});
  const uint64_t session = kv.index;
  ASSERT_EQ(open, ":" + std::to_string(session) + "\r\n");
  EXPECT_EQ(kv.exec({{"INCR", "n"}, {"INCR", "n"}}, {}, 0, session, 1), "*2\r\n:1\r\n:2\r\n");
  EXPECT_EQ(kv.exec({{"INCR", "n"}, {"INCR", "n"}}, {}, 0, session, 1), "*2\r\n:1\r\n:2\r\n")
      << "a retry answers as the first time";
  EXPECT_EQ(kv.run({"GET", "n"}), "$1\r\n2\r\n");
}

TEST(Transaction, AReplicaRestoredFromASnapshotDecidesWatchesTheSame) {
  TxHarness a;
  const auto [watched, other] = keys_in_different_buckets();
  a.run({"SET", watched, "1"});
  const uint64_t since = a.index;
  a.run({"SET", other, "1"});
  TxHarness b;
  ASSERT_TRUE(b.sm.restore(a.sm.serialize()).ok());
  b.index = a.index;
  EXPECT_EQ(a.exec({{"INCR", watched}}, {watched}, since), "*1\r\n:2\r\n");
  EXPECT_EQ(b.exec({{"INCR", watched}}, {watched}, since), "*1\r\n:2\r\n");
  EXPECT_EQ(a.exec({{"INCR", other}}, {other}, since), "*-1\r\n");
  EXPECT_EQ(b.exec({{"INCR", other}}, {other}, since), "*-1\r\n");
  EXPECT_EQ(a.sm.serialize(), b.sm.serialize());
}

TEST(Transaction, OnlyDataCommandsPingEchoAndSelectMayBeQueued) {
  for (const Argv& ok :
       std::vector<Argv>{{"GET", "k"}, {"SET", "k", "v"}, {"PING"}, {"SELECT", "0"}}) {
    EXPECT_EQ(transaction_queue_error(classify(ok)), "") << ok[0];
  }
  for (const Argv& no : std::vector<Argv>{{"INFO"},
                                          {"CLIENT", "ID"},
                                          {"SESSION", "OPEN"},
                                          {"CONFIG", "GET", "x"},
                                          {"SEQ", "1", "1", "SET", "k", "v"}}) {
    EXPECT_NE(transaction_queue_error(classify(no)), "") << no[0];
  }
}

// The server runs CLIENT, CONFIG, ... itself at EXEC; queueing them checks their
// subcommands against Redis 7.0's table, as Redis does before it queues.
TEST(Transaction, QueuedSubcommandsAreCheckedAsRedisChecksThem) {
  const auto error = [](const Argv& argv) {
    return queued_subcommand_error(*classify(argv).spec, argv);
  };
  EXPECT_EQ(error({"CLIENT", "SETNAME", "x"}), "");
  EXPECT_EQ(error({"client", "Setname", "x"}), "");
  EXPECT_EQ(error({"CLIENT", "SETINFO", "lib-name", "x"}), "") << "Redis 7.2's; clients send it";
  EXPECT_EQ(error({"CONFIG", "GET", "a", "b"}), "");
  EXPECT_EQ(error({"INFO", "anything"}), "") << "no subcommands";
  EXPECT_EQ(error({"CLIENT", "NOSUCH"}), "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
  EXPECT_EQ(error({"CLIENT", "SETNAME"}),
            "ERR wrong number of arguments for 'client|setname' command");
  EXPECT_EQ(error({"CONFIG", "GET"}), "ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(error({"COMMAND", "COUNT", "x"}),
            "ERR wrong number of arguments for 'command|count' command");
}

TEST(Transaction, AnExecEntryWithoutATransactionIsRefused) {
  KvHarness kv;
  LogCommand plain;
  plain.argv = {"EXEC"};
  EXPECT_EQ(kv.sm.apply(1, encode_log_command(plain)), "-ERR EXEC entry without a transaction\r\n");
}

TEST(CommandCodec, TransactionsRoundTripAndMalformedOnesAreRefused) {
  LogCommand tx;
  tx.transaction = true;
  tx.session_id = 3;
  tx.seq = 4;
  tx.time_ms = 5;
  tx.watch_index = 6;
  tx.watched = {"w1", ""};
  tx.queued = {{"SET", "k", "v"}, {"GET", "k"}};
  const std::string bytes = encode_log_command(tx);
  tx.argv = {"EXEC"};
  EXPECT_EQ(decode_log_command(bytes), tx);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_log_command(bytes.substr(0, n)));
  EXPECT_FALSE(decode_log_command(bytes + "x"));
  LogCommand empty_command = tx;
  empty_command.queued = {{}};
  EXPECT_FALSE(decode_log_command(encode_log_command(empty_command)));
}

}  // namespace
}  // namespace raftkv::kv

namespace raftkv::kv {
namespace {

// What a reader can see of a key: its type, deadline and contents.
std::string observe(const StateMachine& sm, const std::string& key) {
  std::string seen = sm.read({"TYPE", key}) + sm.read({"PEXPIRETIME", key});
  for (const Argv& read : std::vector<Argv>{{"GET", key},
                                            {"HGETALL", key},
                                            {"LRANGE", key, "0", "-1"},
                                            {"SMEMBERS", key},
                                            {"ZRANGE", key, "0", "-1", "WITHSCORES"}}) {
    seen += sm.read(read);
  }
  return seen;
}

// WATCH must never miss a change: whatever a write does to a key, the key then counts as
// changed at that write's index. Random writes of every family over a few keys.
TEST(Transaction, EveryChangeAnyWriteMakesIsSeenByWatch) {
  const uint64_t seed = ::testing::UnitTest::GetInstance()->random_seed() + 1;
  std::printf("seed %llu (RAFTKV_SEED replays)\n", static_cast<unsigned long long>(seed));
  uint64_t state =
      std::getenv("RAFTKV_SEED") ? std::strtoull(std::getenv("RAFTKV_SEED"), nullptr, 10) : seed;
  const auto next = [&](uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  const std::vector<std::string> keys = {"a", "b", "c"};
  const auto key = [&] { return keys[next(keys.size())]; };
  const auto num = [&] { return std::to_string(next(4)); };
  const std::vector<std::function<Argv()>> writes = {
      [&] {
        return Argv{"SET", key(), num()};
      },
      [&] {
        return Argv{"SET", key(), num(), "NX"};
      },
      [&] {
        return Argv{"SETNX", key(), num()};
      },
      [&] {
        return Argv{"INCR", key()};
      },
      [&] {
        return Argv{"APPEND", key(), num()};
      },
      [&] {
        return Argv{"DEL", key(), key()};
      },
      [&] {
        return Argv{"PEXPIRE", key(), std::to_string(1 + next(30))};
      },
      [&] {
        return Argv{"PERSIST", key()};
      },
      [&] {
        return Argv{"RENAME", key(), key()};
      },
      [&] {
        return Argv{"MSET", key(), num(), key(), num()};
      },
      [&] {
        return Argv{"HSET", key(), num(), num()};
      },
      [&] {
        return Argv{"HDEL", key(), num()};
      },
      [&] {
        return Argv{"LPUSH", key(), num()};
      },
      [&] {
        return Argv{"RPOP", key()};
      },
      [&] {
        return Argv{"LMOVE", key(), key(), "LEFT", "RIGHT"};
      },
      [&] {
        return Argv{"SADD", key(), num()};
      },
      [&] {
        return Argv{"SPOP", key()};
      },
      [&] {
        return Argv{"SMOVE", key(), key(), num()};
      },
      [&] {
        return Argv{"SUNIONSTORE", key(), key(), key()};
      },
      [&] {
        return Argv{"ZADD", key(), num(), num()};
      },
      [&] {
        return Argv{"ZPOPMIN", key()};
      },
      [&] {
        return Argv{"ZRANGESTORE", key(), key(), "0", "-1"};
      },
      [&] {
        return Argv{"GETEX", key(), "PX", std::to_string(1 + next(30))};
      },
      [&] {
        return Argv{"GETDEL", key()};
      },
      [&] { return Argv{"FLUSHALL"}; },
  };
  KvHarness kv;
  for (int step = 0; step < 4000; ++step) {
    std::vector<std::string> before;
    for (const auto& k : keys) before.push_back(observe(kv.sm, k));
    const uint64_t since = kv.index;
    kv.time_ms += next(10);
    const Argv argv = writes[next(writes.size())]();
    kv.run(argv);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (observe(kv.sm, keys[i]) == before[i]) continue;
      ASSERT_TRUE(kv.sm.changed_after(keys[i], since))
          << "step " << step << ": " << argv[0] << " changed " << keys[i] << " unseen";
    }
  }
}

}  // namespace
}  // namespace raftkv::kv
