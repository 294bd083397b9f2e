// Streams: IDs (explicit, `*` from log time, `ms-*`), ranges, trimming, XREAD, consumer
// groups (PEL, acks, claims, XINFO), snapshots of all of it, and replicas that apply the
// same entries ending byte-identical. The byte-for-byte comparison with redis-server is
// tests/integration/test_streams.py.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "kv/command_codec.h"
#include "kv/state_machine.h"
#include "kv/stream.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::bulks;
using testing::KvHarness;

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// [[id, [fields...]], ...] as XRANGE answers.
std::string entries(std::initializer_list<std::pair<std::string, std::vector<std::string>>> list) {
  std::string out = "*" + std::to_string(list.size()) + "\r\n";
  for (const auto& [id, fields] : list) out += "*2\r\n" + bulk(id) + testing::bulks_of(fields);
  return out;
}

TEST(StreamIds, ParseAsRedisDoes) {
  EXPECT_EQ(parse_stream_id("1-2", true, 0), (StreamId{1, 2}));
  EXPECT_EQ(parse_stream_id("7", true, 0), (StreamId{7, 0}));
  EXPECT_EQ(parse_stream_id("7", false, UINT64_MAX), (StreamId{7, UINT64_MAX}));
  EXPECT_EQ(parse_stream_id("03-01", true, 0), (StreamId{3, 1})) << "strtoull's leading zeros";
  EXPECT_EQ(parse_stream_id(" 3", true, 0), (StreamId{3, 0})) << "and leading spaces";
  EXPECT_EQ(parse_stream_id("-", false, 0), StreamId{});
  EXPECT_EQ(parse_stream_id("+", false, 0), StreamId::max());
  EXPECT_FALSE(parse_stream_id("-", true, 0)) << "strict: no - or +";
  EXPECT_FALSE(parse_stream_id("-1", true, 0));
  EXPECT_FALSE(parse_stream_id("1-", true, 0));
  EXPECT_FALSE(parse_stream_id("1-2-3", true, 0));
  EXPECT_FALSE(parse_stream_id("18446744073709551616", true, 0));
  EXPECT_FALSE(parse_stream_id("1-*", true, 0)) << "ms-* only where XADD allows it";
  bool seq_given = true;
  EXPECT_EQ(parse_stream_id("5-*", true, 0, &seq_given), (StreamId{5, 0}));
  EXPECT_FALSE(seq_given);
}

TEST(StreamCommands, AutomaticIdsComeFromLogTimeNotTheClock) {
  KvHarness kv;
  kv.time_ms = 5'000;
  EXPECT_EQ(kv.run({"XADD", "s", "*", "a", "1"}), bulk("5000-0"));
  EXPECT_EQ(kv.run({"XADD", "s", "*", "a", "2"}), bulk("5000-1")) << "same log time";
  kv.time_ms = 4'000;  // a leader whose clock is behind: IDs still grow
  EXPECT_EQ(kv.run({"XADD", "s", "*", "a", "3"}), bulk("5000-2"));
  kv.time_ms = 9'000;
  EXPECT_EQ(kv.run({"XADD", "s", "*", "a", "4"}), bulk("9000-0"));
  EXPECT_EQ(kv.run({"XADD", "s", "9000-*", "a", "5"}), bulk("9000-1"));
  EXPECT_EQ(kv.run({"XADD", "s", "9500-*", "a", "6"}), bulk("9500-0"));
  EXPECT_EQ(kv.run({"XLEN", "s"}), ":6\r\n");
  EXPECT_EQ(kv.run({"TYPE", "s"}), "+stream\r\n");
}

TEST(StreamCommands, XaddErrorsAndOptions) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"XADD", "s", "0-0", "a", "1"}),
            "-ERR The ID specified in XADD must be greater than 0-0\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "1-1", "a"}),
            "-ERR wrong number of arguments for 'xadd' command\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "MAXLEN", "1", "MINID", "0", "*", "a", "1"}),
            "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "MAXLEN", "2", "LIMIT", "5", "*", "a", "1"}),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "NOMKSTREAM", "*", "a", "1"}), "$-1\r\n");
  EXPECT_EQ(kv.sm.key_count(), 0u) << "refused and NOMKSTREAM writes create nothing";
  EXPECT_EQ(kv.run({"XADD", "s", "5-1", "a", "1"}), bulk("5-1"));
  EXPECT_EQ(kv.run({"XADD", "s", "5-1", "a", "1"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top "
            "item\r\n");
  EXPECT_EQ(kv.run({"SET", "str", "v"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"XADD", "str", "*", "a", "1"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(kv.run({"XADD", "m", "18446744073709551615-18446744073709551615", "a", "1"}),
            bulk("18446744073709551615-18446744073709551615"));
  EXPECT_EQ(kv.run({"XADD", "m", "*", "a", "1"}),
            "-ERR The stream has exhausted the last possible ID, unable to add more items\r\n");
}

TEST(StreamCommands, RangesBothWaysWithExclusiveBoundsAndCount) {
  KvHarness kv;
  for (const char* id : {"1-1", "1-2", "2-0", "3-5"}) kv.run({"XADD", "s", id, "f", id});
  EXPECT_EQ(kv.run({"XRANGE", "s", "(1-1", "2"}),
            entries({{"1-2", {"f", "1-2"}}, {"2-0", {"f", "2-0"}}}));
  EXPECT_EQ(kv.run({"XREVRANGE", "s", "+", "-", "COUNT", "2"}),
            entries({{"3-5", {"f", "3-5"}}, {"2-0", {"f", "2-0"}}}));
  EXPECT_EQ(kv.run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "*-1\r\n");
  EXPECT_EQ(kv.run({"XRANGE", "nokey", "-", "+", "COUNT", "0"}), "*0\r\n");
  EXPECT_EQ(kv.run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}),
            "-ERR invalid start ID for the interval\r\n");
  EXPECT_EQ(kv.run({"XRANGE", "s", "-", "+", "COUNT"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"XDEL", "s", "1-2", "9-9", "1-2"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XDEL", "s", "x"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  EXPECT_EQ(kv.run({"XLEN", "s"}), ":3\r\n");
}

TEST(StreamCommands, TrimmingExactAndInWholeBlocks) {
  KvHarness kv;
  for (int i = 1; i <= 250; ++i) kv.run({"XADD", "s", std::to_string(i), "f", "v"});
  EXPECT_EQ(kv.run({"XTRIM", "s", "MAXLEN", "~", "100"}), ":100\r\n") << "one block of 100";
  EXPECT_EQ(kv.run({"XTRIM", "s", "MAXLEN", "~", "100"}), ":0\r\n") << "less than a block";
  EXPECT_EQ(kv.run({"XTRIM", "s", "MAXLEN", "=", "100"}), ":50\r\n");
  EXPECT_EQ(kv.run({"XTRIM", "s", "MINID", "201"}), ":50\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "MAXLEN", "0", "300", "f", "v"}), bulk("300-0"));
  EXPECT_EQ(kv.run({"XLEN", "s"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "s"}), ":1\r\n") << "an empty stream stays, as in Redis";
  for (int i = 301; i <= 310; ++i) kv.run({"XADD", "s", std::to_string(i), "f", "v"});
  EXPECT_EQ(kv.run({"XTRIM", "s", "MAXLEN", "~", "1"}), ":0\r\n");
  EXPECT_EQ(kv.run({"XTRIM", "s", "MAXLEN", "~", "0"}), ":10\r\n") << "the whole last block";
  EXPECT_EQ(kv.run({"XTRIM", "s", "LIMIT", "5"}),
            "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy\r\n");
}

TEST(StreamCommands, XreadFromIdsAndDollar) {
  KvHarness kv;
  kv.run({"XADD", "a", "1-1", "f", "1"});
  kv.run({"XADD", "a", "2-1", "f", "2"});
  EXPECT_EQ(kv.run({"XREAD", "COUNT", "1", "STREAMS", "a", "nokey", "0", "0"}),
            "*1\r\n*2\r\n" + bulk("a") + entries({{"1-1", {"f", "1"}}}));
  EXPECT_EQ(kv.run({"XREAD", "STREAMS", "a", "$"}), "*-1\r\n");
  EXPECT_EQ(kv.run({"XREAD", "STREAMS", "a", ">"}),
            "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
            "<group> <consumer> option.\r\n");
  EXPECT_EQ(kv.run({"XREAD", "STREAMS", "a", "b", "0"}),
            "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.\r\n");
}

TEST(StreamGroups, DeliverAckAndPendingWithLogTimeIdle) {
  KvHarness kv;
  kv.run({"XADD", "s", "1-1", "f", "1"});
  kv.run({"XADD", "s", "1-2", "f", "2"});
  EXPECT_EQ(kv.run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"XGROUP", "CREATE", "s", "g", "0"}),
            "-BUSYGROUP Consumer Group name already exists\r\n");
  EXPECT_EQ(kv.run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"}),
            "*1\r\n*2\r\n" + bulk("s") + entries({{"1-1", {"f", "1"}}, {"1-2", {"f", "2"}}}));
  EXPECT_EQ(kv.run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"}), "*-1\r\n");
  EXPECT_EQ(kv.run({"XREADGROUP", "GROUP", "g", "c2", "STREAMS", "s", ">"}), "*-1\r\n");
  EXPECT_NE(kv.run({"XINFO", "GROUPS", "s"}).find(bulk("consumers") + ":1\r\n"), std::string::npos)
      << "as in Redis 7.0, a consumer served nothing new is not created";
  kv.time_ms += 250;
  // Idle time on the leader's reads: the serving node's time since the log-time delivery.
  EXPECT_EQ(kv.run({"XPENDING", "s", "g", "-", "+", "10"}),
            "*2\r\n*4\r\n" + bulk("1-1") + bulk("c1") + ":250\r\n:1\r\n*4\r\n" + bulk("1-2") +
                bulk("c1") + ":250\r\n:1\r\n");
  EXPECT_EQ(kv.run({"XACK", "s", "g", "1-1", "1-1", "9-9"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XPENDING", "s", "g"}),
            "*4\r\n:1\r\n" + bulk("1-2") + bulk("1-2") + "*1\r\n*2\r\n" + bulk("c1") + bulk("1"));
  // History: the consumer's own pending entries, each counted as delivered again.
  EXPECT_EQ(kv.run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "0"}),
            "*1\r\n*2\r\n" + bulk("s") + entries({{"1-2", {"f", "2"}}}));
  EXPECT_EQ(kv.run({"XREADGROUP", "GROUP", "nog", "c1", "STREAMS", "s", ">"}),
            "-NOGROUP No such key 's' or consumer group 'nog' in XREADGROUP with GROUP "
            "option\r\n");
}

TEST(StreamGroups, ClaimsMoveEntriesBetweenConsumers) {
  KvHarness kv;
  kv.run({"XADD", "s", "1-1", "f", "1"});
  kv.run({"XADD", "s", "1-2", "f", "2"});
  kv.run({"XGROUP", "CREATE", "s", "g", "0"});
  kv.run({"XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"});
  kv.time_ms += 100;
  EXPECT_EQ(kv.run({"XCLAIM", "s", "g", "c2", "1000", "1-1"}), "*0\r\n") << "not idle enough";
  EXPECT_EQ(kv.run({"XCLAIM", "s", "g", "c2", "50", "1-1", "JUSTID"}), "*1\r\n" + bulk("1-1"));
  EXPECT_EQ(kv.run({"XDEL", "s", "1-2"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XAUTOCLAIM", "s", "g", "c3", "0", "0"}),
            "*3\r\n" + bulk("0-0") + entries({{"1-1", {"f", "1"}}}) + "*1\r\n" + bulk("1-2"));
  EXPECT_EQ(kv.run({"XPENDING", "s", "g", "-", "+", "10", "c3"}),
            "*1\r\n*4\r\n" + bulk("1-1") + bulk("c3") + ":0\r\n:2\r\n");
  EXPECT_EQ(kv.run({"XGROUP", "DELCONSUMER", "s", "g", "c3"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XPENDING", "s", "g"}), "*4\r\n:0\r\n$-1\r\n$-1\r\n*-1\r\n");
  EXPECT_EQ(kv.run({"XCLAIM", "s", "nog", "c", "0", "1-1"}),
            "-NOGROUP No such key 's' or consumer group 'nog'\r\n");
}

TEST(StreamGroups, InfoReportsGroupsConsumersAndLag) {
  KvHarness kv;
  kv.run({"XADD", "s", "1-1", "a", "1"});
  kv.run({"XGROUP", "CREATE", "s", "g", "0"});
  EXPECT_EQ(kv.run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XINFO", "GROUPS", "s"}),
            "*1\r\n*12\r\n" + bulk("name") + bulk("g") + bulk("consumers") + ":1\r\n" +
                bulk("pending") + ":0\r\n" + bulk("last-delivered-id") + bulk("0-0") +
                bulk("entries-read") + "$-1\r\n" + bulk("lag") + ":1\r\n");
  EXPECT_EQ(kv.run({"XINFO", "STREAM", "nokey"}), "-ERR no such key\r\n");
  EXPECT_EQ(kv.run({"XINFO", "CONSUMERS", "s", "nog"}),
            "-NOGROUP No such consumer group 'nog' for key name 's'\r\n");
  EXPECT_EQ(kv.run({"XGROUP", "DESTROY", "s", "g"}), ":1\r\n");
  EXPECT_EQ(kv.run({"XGROUP", "DESTROY", "s", "g"}), ":0\r\n");
}

// Every replica that applies the same entries ends byte-identical (IDs from `*`, PELs,
// delivery times), and one restored from a snapshot half-way ends equal too.
std::vector<std::string> stream_workload() {
  std::vector<std::string> log;
  uint64_t t = 1'700'000'000'000;
  const auto add = [&](Argv argv) {
    LogCommand command;
    command.time_ms = t += 13;
    command.argv = std::move(argv);
    log.push_back(encode_log_command(command));
  };
  add({"XGROUP", "CREATE", "q", "workers", "$", "MKSTREAM"});
  for (int i = 0; i < 60; ++i) {
    const std::string n = std::to_string(i);
    add({"XADD", "q", "MAXLEN", "~", "1000", "*", "job", n});
    add({"XREADGROUP", "GROUP", "workers", "w" + std::to_string(i % 3), "COUNT", "2", "STREAMS",
         "q", ">"});
    if (i % 4 == 0) add({"XACK", "q", "workers", std::to_string(t - 13) + "-0"});
    if (i % 7 == 0) add({"XAUTOCLAIM", "q", "workers", "w9", "20", "0", "COUNT", "3"});
    if (i % 11 == 0) add({"XCLAIM", "q", "workers", "w5", "0", std::to_string(t) + "-0"});
  }
  add({"XDEL", "q", std::to_string(t - 100) + "-0"});
  add({"XTRIM", "q", "MAXLEN", "40"});
  add({"XSETID", "q", std::to_string(t + 1000) + "-0", "ENTRIESADDED", "500", "MAXDELETEDID",
       std::to_string(t) + "-0"});
  return log;
}

// XSETID's replies and errors as redis-server 7.0.15 gives them.
TEST(StreamCommands, XsetidMovesTheCountersWithRedisChecks) {
  KvHarness kv;
  const std::string top =
      "-ERR The ID specified in XSETID is smaller than the target stream top item\r\n";
  EXPECT_EQ(kv.run({"XSETID", "s", "1-1"}), "-ERR no such key\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "1-1", "MAXDELETEDID", "2-0"}),
            "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id\r\n")
      << "the options are checked before the key";
  kv.run({"XADD", "s", "5-5", "a", "1"});
  EXPECT_EQ(kv.run({"XSETID", "s", "1-1"}), top);
  EXPECT_EQ(kv.run({"XSETID", "s", "5"}), top) << "a missing sequence is 0";
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "ENTRIESADDED", "-1"}),
            "-ERR entries_added must be positive\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "ENTRIESADDED", "0"}),
            "-ERR The entries_added specified in XSETID is smaller than the target stream "
            "length\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "ENTRIESADDED", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "ENTRIESADDED"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "FOO", "1"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "+"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "MAXDELETEDID", "1-*"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s"}), "-ERR wrong number of arguments for 'xsetid' command\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "ENTRIESADDED", "99999999999999999999"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "18446744073709551616-0"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "MAXDELETEDID", "", "ENTRIESADDED", "1"}),
            "-ERR Invalid stream ID specified as stream command argument\r\n");
  kv.run({"SET", "str", "v"});
  EXPECT_EQ(kv.run({"XSETID", "str", "1-1"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");

  EXPECT_EQ(kv.run({"XSETID", "s", "10-0", "entriesadded", "5", "maxdeletedid", "7-1"}), "+OK\r\n");
  const std::string info = kv.run({"XINFO", "STREAM", "s"});
  EXPECT_NE(info.find(bulk("last-generated-id") + bulk("10-0")), std::string::npos) << info;
  EXPECT_NE(info.find(bulk("max-deleted-entry-id") + bulk("7-1")), std::string::npos) << info;
  EXPECT_NE(info.find(bulk("entries-added") + ":5\r\n"), std::string::npos) << info;
  EXPECT_EQ(kv.run({"XADD", "s", "9-0", "a", "1"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top "
            "item\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "10-*", "a", "1"}), bulk("10-1"));
  EXPECT_EQ(kv.run({"XSETID", "s", "10-1"}), "+OK\r\n") << "the top item's ID is allowed";
  // An empty stream's last ID may go back (Redis 7.0 checks only against entries).
  kv.run({"XTRIM", "s", "MAXLEN", "0"});
  EXPECT_EQ(kv.run({"XSETID", "s", "0-0"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"XADD", "s", "1-1", "a", "1"}), bulk("1-1")) << "from 0-0 on";

  // Replicated and in the snapshot.
  StateMachine restored;
  ASSERT_TRUE(restored.restore(kv.sm.serialize()).is_ok());
  EXPECT_EQ(restored.read({"XINFO", "STREAM", "s"}), kv.sm.read({"XINFO", "STREAM", "s"}));
}

TEST(StreamDeterminism, ReplicasApplyingTheSameEntriesEndEqual) {
  const auto log = stream_workload();
  StateMachine a, b, from_snapshot;
  const size_t half = log.size() / 2;
  std::vector<std::string> replies;
  for (size_t i = 0; i < log.size(); ++i) {
    replies.push_back(a.apply(i + 1, log[i]));
    if (i + 1 == half) {
      ASSERT_TRUE(from_snapshot.restore(a.serialize()).is_ok());
    }
  }
  // The other replicas apply later, as followers do: nothing may depend on when.
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(b.apply(i + 1, log[i]), replies[i]) << "entry " << i + 1;
    if (i + 1 > half) from_snapshot.apply(i + 1, log[i]);
  }
  EXPECT_EQ(a.serialize(), b.serialize());
  EXPECT_EQ(a.serialize(), from_snapshot.serialize());
  EXPECT_EQ(a.read({"XPENDING", "q", "workers"}), from_snapshot.read({"XPENDING", "q", "workers"}));
  EXPECT_EQ(a.read({"XLEN", "q"}), ":40\r\n");
}

TEST(StreamSnapshot, RoundTripKeepsEntriesGroupsConsumersAndPel) {
  KvHarness kv;
  kv.run({"XADD", "s", "1-1", "a", "1", "b", "2"});
  kv.run({"XADD", "s", "2-1", "c", "3"});
  kv.run({"XDEL", "s", "2-1"});
  kv.run({"XGROUP", "CREATE", "s", "g", "0", "ENTRIESREAD", "0"});
  kv.run({"XGROUP", "CREATE", "s", "h", "$"});
  kv.run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"});
  kv.run({"XGROUP", "CREATECONSUMER", "s", "h", "bob"});
  kv.run({"XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"});
  const std::string image = kv.sm.serialize();
  StateMachine restored;
  ASSERT_TRUE(restored.restore(image).is_ok());
  EXPECT_EQ(restored.serialize(), image);
  EXPECT_EQ(restored.digest(), kv.sm.digest());
  for (const Argv& read : std::vector<Argv>{{"XINFO", "STREAM", "s", "FULL"},
                                            {"XINFO", "GROUPS", "s"},
                                            {"XPENDING", "s", "g", "-", "+", "10", "alice"},
                                            {"XINFO", "STREAM", "empty"},
                                            {"MEMORY", "USAGE", "s"}}) {
    EXPECT_EQ(restored.read(read), kv.sm.read(read)) << read[0] << " " << read[1];
  }
  // A corrupted stream section is refused and changes nothing.
  std::string bad = image;
  bad[bad.size() / 2] ^= 0x5a;
  EXPECT_FALSE(restored.restore(bad).is_ok());
  EXPECT_EQ(restored.serialize(), image);
}

TEST(StreamMemory, UsageGrowsWithEntriesAndPendingLists) {
  KvHarness kv;
  kv.run({"XADD", "s", "1-1", "f", "v"});
  const std::string one = kv.run({"MEMORY", "USAGE", "s"});
  for (int i = 2; i < 50; ++i) kv.run({"XADD", "s", std::to_string(i), "field", "value"});
  const std::string many = kv.run({"MEMORY", "USAGE", "s"});
  kv.run({"XGROUP", "CREATE", "s", "g", "0"});
  kv.run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"});
  const std::string pending = kv.run({"MEMORY", "USAGE", "s", "SAMPLES", "0"});
  const auto value = [](const std::string& reply) { return std::stoll(reply.substr(1)); };
  EXPECT_LT(value(one), value(many));
  EXPECT_LT(value(many), value(pending));
}

}  // namespace
}  // namespace raftkv::kv
