// INFO commandstats/errorstats/latencystats and SLOWLOG bookkeeping (command_stats.h,
// slow_log.h, latency_histogram.h), without sockets. Formats against a real server are
// checked by tests/integration/test_introspection.py.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/command_stats.h"
#include "server/latency_histogram.h"
#include "server/reply_slot.h"
#include "server/server_stats.h"
#include "server/slow_log.h"

namespace raftkv::server {
namespace {

TEST(LatencyHistogramTest, BucketsKeepTwoSignificantDigits) {
  for (uint64_t v : {0ull, 1ull, 127ull, 128ull, 1000ull, 21119ull, 999999ull, 1ull << 39}) {
    const uint64_t up = LatencyHistogram::upper_bound(LatencyHistogram::index(v));
    EXPECT_GE(up, v);
    EXPECT_LE(up - v, v / 64) << v;  // at most 1/64 above the value
  }
  // Indexes are monotonic and cover the range without gaps.
  for (size_t i = 1; i < LatencyHistogram::kBuckets; ++i) {
    EXPECT_EQ(LatencyHistogram::index(LatencyHistogram::upper_bound(i - 1) + 1), i);
  }
}

TEST(LatencyHistogramTest, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.percentile(50), 0u);
  for (uint64_t v = 1; v <= 1000; ++v) h.record(v * 1000);  // 1 us .. 1 ms
  EXPECT_NEAR(static_cast<double>(h.percentile(50)), 500e3, 500e3 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(99)), 990e3, 990e3 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(99.9)), 999e3, 999e3 / 64);
}

TEST(ErrorCountsTest, PrefixAsRedis) {
  ErrorCounts e;
  e.count("-ERR syntax error\r\n");
  e.count("-WRONGTYPE Operation against a key\r\n");
  e.count("-NOSPACEINTHEFIRST32BYTESXXXXXXXXXXXXXXXXXX x\r\n");  // falls back to ERR
  EXPECT_EQ(e.total(), 3u);
  EXPECT_EQ(info_errorstats(e),
            "# Errorstats\r\nerrorstat_ERR:count=2\r\nerrorstat_WRONGTYPE:count=1\r\n");
}

class NullTarget : public ReplyTarget {
 public:
  void complete(uint64_t, std::string) override {}
  std::string client_addr() const override { return "127.0.0.1:5000"; }
  std::string client_name() const override { return "me"; }
};

TEST(AccountReplyTest, CallsRejectedFailedAndSlowLog) {
  ServerStats stats;
  stats.slowlog.set_settings({/*log_slower_than_us=*/5, /*max_len=*/2});
  const kv::CommandSpec* get = kv::find_command("get");
  NullTarget t;
  const std::vector<std::string> argv = {"GET", "k"};
  account_reply(stats, get, 5000, false, "$1\r\nv\r\n", argv, t);       // slow
  account_reply(stats, get, 10, false, "-WRONGTYPE x\r\n", argv, t);    // failed
  account_reply(stats, get, 10, true, "-ERR wrong number\r\n", {}, t);  // rejected
  account_reply(stats, get, 10, false, "-MOVED 1 h:1\r\n", argv, t);    // rejected
  const CommandResultCounts& row = stats.commands.row(kv::CommandId::kGet);
  EXPECT_EQ(row.calls, 2u);
  EXPECT_EQ(row.failed_calls, 1u);
  EXPECT_EQ(row.rejected_calls, 2u);
  EXPECT_EQ(row.total_ns, 5010u);
  EXPECT_EQ(info_commandstats(stats.commands),
            "# Commandstats\r\ncmdstat_get:calls=2,usec=5,usec_per_call=2.50,rejected_calls=2,"
            "failed_calls=1\r\n");
  ASSERT_EQ(stats.slowlog.entries().size(), 1u);
  const SlowLog::Entry& e = stats.slowlog.entries().front();
  EXPECT_EQ(e.duration_us, 5u);
  EXPECT_EQ(e.argv, argv);
  EXPECT_EQ(e.client_addr, "127.0.0.1:5000");
  EXPECT_EQ(e.client_name, "me");
}

using Argv = std::vector<std::string>;

TEST(AccountReplyTest, CommandsWithSubcommandsAreReportedBySubcommand) {
  ServerStats stats;
  const kv::CommandSpec* client = kv::find_command("client");
  NullTarget t;
  account_reply(stats, client, 2000, false, "$0\r\n", Argv{"CLIENT", "LIST"}, t);
  account_reply(stats, client, 4000, false, "$0\r\n", Argv{"client", "list"}, t);
  account_reply(stats, client, 1000, false, "+OK\r\n", Argv{"CLIENT", "SETNAME", "x"}, t);
  // A made-up subcommand gets no row of its own (as in Redis), nor does a bare CLIENT.
  account_reply(stats, client, 10, true, "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n",
                Argv{"CLIENT", "nope"}, t);
  account_reply(stats, client, 10, true, "-ERR wrong number of arguments\r\n", Argv{"CLIENT"}, t);
  EXPECT_EQ(info_commandstats(stats.commands),
            "# Commandstats\r\n"
            "cmdstat_client|list:calls=2,usec=6,usec_per_call=3.00,rejected_calls=0,"
            "failed_calls=0\r\n"
            "cmdstat_client|setname:calls=1,usec=1,usec_per_call=1.00,rejected_calls=0,"
            "failed_calls=0\r\n");
  const std::string latency = info_latencystats(stats.commands);
  EXPECT_NE(latency.find("latency_percentiles_usec_client|list:"), std::string::npos) << latency;
  // The whole command still has its row (for /metrics).
  EXPECT_EQ(stats.commands.row(kv::CommandId::kClient).calls, 3u);
  EXPECT_EQ(stats.commands.row(kv::CommandId::kClient).rejected_calls, 2u);
}

TEST(AccountReplyTest, SubcommandRowsAreBounded) {
  ServerStats stats;
  const kv::CommandSpec* config = kv::find_command("config");
  NullTarget t;
  for (size_t i = 0; i < 2 * CommandCounters::kMaxSubRows; ++i) {
    account_reply(stats, config, 10, false, "-ERR x\r\n", Argv{"CONFIG", std::to_string(i)}, t);
  }
  EXPECT_EQ(stats.commands.sub_rows().size(), CommandCounters::kMaxSubRows);
  EXPECT_EQ(stats.commands.row(kv::CommandId::kConfig).calls, 2 * CommandCounters::kMaxSubRows);
}

// LATENCY HISTOGRAM: Redis 7.0's steps (1024 ns doubling, named by the highest value
// equivalent to them at two significant digits, in us: 1, 2, 4, 8, 16, 33, ...), counts
// cumulative, steps that add nothing left out; a container named gives its subcommands.
TEST(LatencyHistogramReplyTest, CumulativeAtRedisSteps) {
  ServerStats stats;
  NullTarget t;
  const kv::CommandSpec* set = kv::find_command("set");
  const kv::CommandSpec* config = kv::find_command("config");
  const std::vector<std::string> argv = {"SET", "k", "v"};
  for (uint64_t ns : {500, 1500, 1900, 30000, 32000, 70000}) {
    account_reply(stats, set, ns, false, "+OK\r\n", argv, t);
  }
  account_reply(stats, config, 3000, false, "+OK\r\n", Argv{"CONFIG", "SET", "a", "b"}, t);
  const std::string set_cdf =
      "$3\r\nset\r\n*4\r\n$5\r\ncalls\r\n:6\r\n$14\r\nhistogram_usec\r\n"
      "*8\r\n:1\r\n:1\r\n:2\r\n:3\r\n:33\r\n:5\r\n:132\r\n:6\r\n";
  EXPECT_EQ(latency_histogram_reply(stats.commands, Argv{"SET"}), "*2\r\n" + set_cdf);
  EXPECT_EQ(latency_histogram_reply(stats.commands, Argv{"nosuch", "config"}),
            "*2\r\n$10\r\nconfig|set\r\n*4\r\n$5\r\ncalls\r\n:1\r\n$14\r\n"
            "histogram_usec\r\n*2\r\n:4\r\n:1\r\n");
  EXPECT_EQ(latency_histogram_reply(stats.commands, Argv{"get"}), "*0\r\n");
  const std::string all = latency_histogram_reply(stats.commands, {});
  EXPECT_TRUE(all.starts_with("*4\r\n")) << all;
  EXPECT_NE(all.find(set_cdf), std::string::npos) << all;
}

TEST(SlowLogTest, TruncatesAsRedisAndKeepsMaxLen) {
  SlowLog log({0, 2});
  std::vector<std::string> argv = {"RPUSH", "k", std::string(130, 'x')};
  for (int i = 0; i < 40; ++i) argv.push_back(std::to_string(i));
  log.add(7, argv, "a:1", "");
  const auto& e = log.entries().front().argv;
  ASSERT_EQ(e.size(), 32u);
  EXPECT_EQ(e[2], std::string(128, 'x') + "... (2 more bytes)");
  EXPECT_EQ(e[31], "... (12 more arguments)");
  log.add(1, std::vector<std::string>{"PING"}, "a:1", "");
  log.add(1, std::vector<std::string>{"PING"}, "a:1", "");
  EXPECT_EQ(log.entries().size(), 2u);
  EXPECT_EQ(log.entries().front().id, 2u);
  EXPECT_EQ(log.command(std::vector<std::string>{"SLOWLOG", "LEN"}), ":2\r\n");
  EXPECT_EQ(log.command(std::vector<std::string>{"SLOWLOG", "GET", "x"}),
            "-ERR count should be greater than or equal to -1\r\n");
  EXPECT_EQ(log.command(std::vector<std::string>{"SLOWLOG", "RESET"}), "+OK\r\n");
  EXPECT_EQ(log.command(std::vector<std::string>{"SLOWLOG", "GET"}), "*0\r\n");
}

}  // namespace
}  // namespace raftkv::server
