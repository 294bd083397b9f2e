// The data commands' semantics, checked against Redis's documented behaviour, through the
// same classify → encode → apply / read path the server uses.
#include <gtest/gtest.h>

#include <limits>
#include <set>

#include "kv/resp_parser.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

TEST(DataCommands, SetAndGet) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(kv.run({"SET", "k", std::string("a\0b", 3)}), "+OK\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), std::string("$3\r\na\0b\r\n", 9));
}

TEST(DataCommands, SetNxXxGet) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"SET", "k", "1", "XX"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "1", "NX"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "2", "NX"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$1\r\n1\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "3", "XX"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "4", "GET"}), "$1\r\n3\r\n");
  EXPECT_EQ(kv.run({"SET", "new", "x", "GET"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"GET", "new"}), "$1\r\nx\r\n");
  // NX with GET: the old value comes back and nothing is set.
  EXPECT_EQ(kv.run({"SET", "k", "5", "NX", "GET"}), "$1\r\n4\r\n");
  EXPECT_EQ(kv.run({"GET", "k"}), "$1\r\n4\r\n");
  EXPECT_EQ(kv.run({"SET", "none", "5", "XX", "GET"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "none"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SET", "k", "v", "KEEPTTL"}), "+OK\r\n");
}

TEST(DataCommands, GetSetDelExists) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"GETSET", "k", "a"}), "$-1\r\n");
  EXPECT_EQ(kv.run({"GETSET", "k", "b"}), "$1\r\na\r\n");
  EXPECT_EQ(kv.run({"SET", "j", "x"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "k", "j", "k", "nope"}), ":3\r\n");
  EXPECT_EQ(kv.run({"DEL", "k", "nope", "k"}), ":1\r\n");
  EXPECT_EQ(kv.run({"DEL", "j"}), ":1\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
}

TEST(DataCommands, IncrFamily) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(kv.run({"INCRBY", "n", "41"}), ":42\r\n");
  EXPECT_EQ(kv.run({"DECR", "n"}), ":41\r\n");
  EXPECT_EQ(kv.run({"DECRBY", "n", "-9"}), ":50\r\n");
  EXPECT_EQ(kv.run({"GET", "n"}), "$2\r\n50\r\n");
  EXPECT_EQ(kv.run({"SET", "s", "abc"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"SET", "s", " 1"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"SET", "max", "9223372036854775807"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"INCR", "max"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(kv.run({"INCRBY", "max", "0"}), ":9223372036854775807\r\n");
  EXPECT_EQ(kv.run({"SET", "min", "-9223372036854775808"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"DECR", "min"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(kv.run({"INCRBY", "min", "-1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(kv.run({"DECRBY", "max", "-1"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(kv.run({"GET", "min"}), "$20\r\n-9223372036854775808\r\n");
}

TEST(DataCommands, AppendAndStrlen) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"STRLEN", "a"}), ":0\r\n");
  EXPECT_EQ(kv.run({"APPEND", "a", "Hello"}), ":5\r\n");
  EXPECT_EQ(kv.run({"APPEND", "a", " World"}), ":11\r\n");
  EXPECT_EQ(kv.run({"GET", "a"}), "$11\r\nHello World\r\n");
  EXPECT_EQ(kv.run({"STRLEN", "a"}), ":11\r\n");
  EXPECT_EQ(kv.run({"TYPE", "a"}), "+string\r\n");
  EXPECT_EQ(kv.run({"TYPE", "b"}), "+none\r\n");
}

TEST(DataCommands, MsetMget) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"MSET", "a", "1", "b", "2", "a", "3"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"MGET", "a", "b", "c"}), "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$-1\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":2\r\n");
  EXPECT_EQ(kv.run({"FLUSHALL"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
}

// Decodes a SCAN reply "*2\r\n$<n>\r\n<cursor>\r\n*<k>\r\n($<n>\r\n<key>\r\n)*": returns the
// next cursor and adds the keys to `seen`.
std::string parse_scan_reply(const std::string& reply, std::multiset<std::string>* seen) {
  size_t at = reply.find("\r\n", 4) + 2;
  const size_t cursor_end = reply.find("\r\n", at);
  std::string cursor = reply.substr(at, cursor_end - at);
  at = cursor_end + 2;
  const size_t count_end = reply.find("\r\n", at);
  const int count = std::stoi(reply.substr(at + 1, count_end - at - 1));
  at = count_end + 2;
  for (int i = 0; i < count; ++i) {
    const size_t len_end = reply.find("\r\n", at);
    const size_t len = std::stoul(reply.substr(at + 1, len_end - at - 1));
    seen->insert(reply.substr(len_end + 2, len));
    at = len_end + 2 + len + 2;
  }
  return cursor;
}

// Runs a whole SCAN iteration and returns every key it produced (with repeats counted).
std::multiset<std::string> scan_all(KvHarness& kv, const Argv& options, int* calls = nullptr) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int n = 0;
  do {
    Argv argv = {"SCAN", cursor};
    argv.insert(argv.end(), options.begin(), options.end());
    cursor = parse_scan_reply(kv.run(argv), &seen);
    ++n;
  } while (cursor != "0" && n < 100000);
  if (calls != nullptr) *calls = n;
  return seen;
}

TEST(DataCommands, ScanCoversEveryKeyOnce) {
  KvHarness kv;
  std::multiset<std::string> all;
  for (int i = 0; i < 500; ++i) {
    const std::string key = (i % 2 == 0 ? "user:" : "item:") + std::to_string(i);
    all.insert(key);
    kv.run({"SET", key, "v"});
  }
  int calls = 0;
  EXPECT_EQ(scan_all(kv, {}, &calls), all);
  EXPECT_GE(calls, 50);  // COUNT defaults to 10
  EXPECT_EQ(scan_all(kv, {"COUNT", "1000"}, &calls), all);
  EXPECT_EQ(calls, 1);
  std::multiset<std::string> users;
  for (const auto& k : all) {
    if (k.starts_with("user:")) users.insert(k);
  }
  EXPECT_EQ(scan_all(kv, {"MATCH", "user:*", "COUNT", "7"}), users);
  EXPECT_EQ(scan_all(kv, {"MATCH", "*", "TYPE", "string"}), all);
  EXPECT_TRUE(scan_all(kv, {"TYPE", "hash"}).empty());
}

TEST(DataCommands, ScanReturnsKeysPresentThroughoutDespiteConcurrentWrites) {
  KvHarness kv;
  std::multiset<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    stable.insert("stable:" + std::to_string(i));
    kv.run({"SET", "stable:" + std::to_string(i), "v"});
  }
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int step = 0;
  do {
    // Churn between calls: add and delete other keys.
    kv.run({"SET", "churn:" + std::to_string(step), "x"});
    if (step > 3) kv.run({"DEL", "churn:" + std::to_string(step - 3)});
    cursor = parse_scan_reply(kv.run({"SCAN", cursor, "MATCH", "stable:*", "COUNT", "5"}), &seen);
    ++step;
  } while (cursor != "0" && step < 10000);
  EXPECT_EQ(seen, stable);
}

TEST(DataCommands, DigestIsIndependentOfInsertionOrder) {
  KvHarness a;
  KvHarness b;
  EXPECT_EQ(a.run({"DEBUG", "DIGEST"}), "+" + std::string(32, '0') + "\r\n");
  for (int i = 0; i < 200; ++i) a.run({"SET", "k" + std::to_string(i), std::to_string(i * 7)});
  for (int i = 199; i >= 0; --i) {
    b.run({"SET", "k" + std::to_string(i), "temp"});
    b.run({"SET", "tmp" + std::to_string(i), "x"});
  }
  for (int i = 0; i < 200; ++i) {
    b.run({"SET", "k" + std::to_string(i), std::to_string(i * 7)});
    b.run({"DEL", "tmp" + std::to_string(i)});
  }
  EXPECT_EQ(a.run({"DEBUG", "DIGEST"}), b.run({"DEBUG", "DIGEST"}));
  EXPECT_EQ(a.sm.digest().size(), 32u);
  b.run({"APPEND", "k5", "!"});
  EXPECT_NE(a.sm.digest(), b.sm.digest());
  // Keys and values cannot trade bytes unnoticed.
  KvHarness c;
  KvHarness d;
  c.run({"SET", "ab", "c"});
  d.run({"SET", "a", "bc"});
  EXPECT_NE(c.sm.digest(), d.sm.digest());
}

TEST(DataCommands, KeysSetnxGetdelMsetnxUnlinkFlushdb) {
  KvHarness kv;
  for (const char* k : {"user:1", "user:2", "order:1"}) kv.run({"SET", k, "v"});
  kv.run({"SET", "gone", "v", "PX", "10"});
  kv.time_ms += 10;
  // KEYS: every live matching key, in no particular order (parse the reply as a set).
  RespParser parser;
  std::vector<Argv> replies;
  ASSERT_TRUE(parser.feed(kv.run({"KEYS", "user:*"}), &replies));
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(std::set<std::string>(replies[0].begin(), replies[0].end()),
            (std::set<std::string>{"user:1", "user:2"}));
  replies.clear();
  ASSERT_TRUE(parser.feed(kv.run({"KEYS", "*"}), &replies));
  EXPECT_EQ(replies[0].size(), 3u) << "the expired key is not listed";
  EXPECT_EQ(kv.run({"SETNX", "user:1", "x"}), ":0\r\n");
  EXPECT_EQ(kv.run({"SETNX", "new", "x"}), ":1\r\n");
  EXPECT_EQ(kv.run({"GETDEL", "new"}), "$1\r\nx\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "new"}), ":0\r\n");
  EXPECT_EQ(kv.run({"MSETNX", "a", "1", "user:2", "2"}), ":0\r\n");
  EXPECT_EQ(kv.run({"EXISTS", "a"}), ":0\r\n") << "all or nothing";
  EXPECT_EQ(kv.run({"MSETNX", "a", "1", "b", "2"}), ":1\r\n");
  EXPECT_EQ(kv.run({"UNLINK", "a", "b", "nope"}), ":2\r\n");
  EXPECT_EQ(kv.run({"FLUSHDB"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"DBSIZE"}), ":0\r\n");
}

TEST(StateMachine, NoOpAndCorruptEntriesAndReplays) {
  StateMachine sm;
  EXPECT_EQ(sm.apply(1, ""), "");
  EXPECT_EQ(sm.applied_index(), 1u);
  EXPECT_EQ(sm.apply(2, "garbage"), "-ERR corrupt log entry\r\n");
  EXPECT_EQ(sm.applied_index(), 2u);
  EXPECT_EQ(sm.apply(3, encode_log_command({0, 0, 5, {"GET", "k"}})),
            "-ERR not a write command\r\n");
  EXPECT_EQ(sm.apply(4, encode_log_command({0, 0, 5, {"SET", "k"}})),
            "-ERR wrong number of arguments for 'set' command\r\n");
  EXPECT_EQ(sm.apply(5, encode_log_command({0, 0, 5, {"INCR", "k"}})), ":1\r\n");
  // Already applied: ignored.
  EXPECT_EQ(sm.apply(5, encode_log_command({0, 0, 5, {"INCR", "k"}})), "");
  EXPECT_EQ(sm.read({"GET", "k"}), "$1\r\n1\r\n");
  EXPECT_EQ(sm.read({"SET", "k", "v"}), "-ERR not a read command\r\n");
  EXPECT_EQ(sm.read({}), "-ERR empty command\r\n");
}

}  // namespace
}  // namespace raftkv::kv
