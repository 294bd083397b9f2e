// HSCAN, SSCAN and ZSCAN: a full iteration returns every element exactly once, also while
// other elements come and go; pages depend only on the contents; Redis's option rules.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

struct ScanReply {
  std::string cursor;
  std::vector<std::string> items;
};

// Reads "*2 $<cursor> *<n> $<item>..." (the only shape a scan page has).
ScanReply parse_page(const std::string& reply) {
  ScanReply page;
  size_t at = 0;
  const auto line = [&]() {
    const size_t eol = reply.find("\r\n", at);
    std::string text = reply.substr(at, eol - at);
    at = eol + 2;
    return text;
  };
  const auto bulk = [&]() {
    const size_t length = std::stoul(line().substr(1));
    std::string text = reply.substr(at, length);
    at += length + 2;
    return text;
  };
  EXPECT_EQ(line(), "*2") << reply;
  page.cursor = bulk();
  const size_t n = std::stoul(line().substr(1));
  for (size_t i = 0; i < n; ++i) page.items.push_back(bulk());
  EXPECT_EQ(at, reply.size()) << reply;
  return page;
}

// Scans `key` to the end with `command` and COUNT `count`; every name (the items at
// even positions for hashes and sorted sets) and how often it came back, and the
// number of pages. `between` runs after each page.
template <typename Between>
std::map<std::string, int> scan_all(KvHarness& kv, const std::string& command,
                                    const std::string& key, int count, int* pages,
                                    Between between) {
  std::map<std::string, int> seen;
  const size_t stride = command == "SSCAN" ? 1 : 2;
  std::string cursor = "0";
  *pages = 0;
  do {
    const ScanReply page =
        parse_page(kv.run({command, key, cursor, "COUNT", std::to_string(count)}));
    for (size_t i = 0; i < page.items.size(); i += stride) ++seen[page.items[i]];
    cursor = page.cursor;
    ++*pages;
    between();
  } while (cursor != "0" && *pages < 100000);
  return seen;
}

void fill(KvHarness& kv, const std::string& command, const std::string& key, int n) {
  for (int i = 0; i < n; ++i) {
    const std::string name = "m" + std::to_string(i);
    if (command == "HSCAN") kv.run({"HSET", key, name, "v" + std::to_string(i)});
    if (command == "SSCAN") kv.run({"SADD", key, name});
    if (command == "ZSCAN") kv.run({"ZADD", key, std::to_string(i % 7), name});
  }
}

TEST(CollectionScan, AFullScanReturnsEveryElementOnce) {
  for (const std::string command : {"HSCAN", "SSCAN", "ZSCAN"}) {
    KvHarness kv;
    fill(kv, command, "c", 1000);
    int pages = 0;
    const auto seen = scan_all(kv, command, "c", 7, &pages, [] {});
    EXPECT_EQ(seen.size(), 1000u) << command;
    for (const auto& [name, times] : seen) EXPECT_EQ(times, 1) << command << " " << name;
    // COUNT is a hint: sets honour it; hashes and sorted sets take at least 1/64 a page.
    EXPECT_GT(pages, command == "SSCAN" ? 100 : 40) << command;
    EXPECT_LE(pages, command == "SSCAN" ? 1000 : 70) << command;
  }
}

TEST(CollectionScan, ElementsPresentThroughoutAreReturnedWhileOthersChange) {
  for (const std::string command : {"HSCAN", "SSCAN", "ZSCAN"}) {
    KvHarness kv;
    fill(kv, command, "c", 300);  // m0..m299 stay
    int round = 0;
    const auto churn = [&] {
      // Remove what the previous round added, add new ones.
      const std::string gone = "x" + std::to_string(round - 1);
      const std::string added = "x" + std::to_string(round++);
      if (command == "HSCAN") kv.run({"HDEL", "c", gone}), kv.run({"HSET", "c", added, "v"});
      if (command == "SSCAN") kv.run({"SREM", "c", gone}), kv.run({"SADD", "c", added});
      if (command == "ZSCAN") kv.run({"ZREM", "c", gone}), kv.run({"ZADD", "c", "1", added});
    };
    int pages = 0;
    const auto seen = scan_all(kv, command, "c", 5, &pages, churn);
    for (int i = 0; i < 300; ++i) {
      const auto it = seen.find("m" + std::to_string(i));
      ASSERT_NE(it, seen.end()) << command << " m" << i;
      EXPECT_EQ(it->second, 1) << command << " m" << i;
    }
  }
}

// (A hash small enough to be a listpack in Redis comes whole in the order of its fields:
// the contents and their order. Past 512 fields it pages like the others.)
TEST(CollectionScan, PagesDependOnlyOnTheContents) {
  for (const std::string command : {"HSCAN", "SSCAN", "ZSCAN"}) {
    KvHarness a;
    KvHarness b;
    const int n = command == "HSCAN" ? 600 : 200;
    fill(a, command, "c", n);
    for (int i = n - 1; i >= 0; --i) {
      KvHarness& kv = b;
      const std::string name = "m" + std::to_string(i);
      if (command == "HSCAN") kv.run({"HSET", "c", name, "v" + std::to_string(i)});
      if (command == "SSCAN") kv.run({"SADD", "c", name});
      if (command == "ZSCAN") kv.run({"ZADD", "c", std::to_string(i % 7), name});
    }
    std::string cursor = "0";
    do {
      const std::string reply = a.run({command, "c", cursor, "COUNT", "3"});
      EXPECT_EQ(reply, b.run({command, "c", cursor, "COUNT", "3"})) << command;
      cursor = parse_page(reply).cursor;
    } while (cursor != "0");
  }
}

// Redis 7.0.15's hash-max-listpack-entries is 512, zset-max-listpack-entries 128.
TEST(CollectionScan, SmallHashesAndSortedSetsComeWholeAsInRedis) {
  for (const std::string command : {"HSCAN", "ZSCAN"}) {
    KvHarness kv;
    const int most = command == "HSCAN" ? 512 : 128;
    fill(kv, command, "c", most);
    const ScanReply page = parse_page(kv.run({command, "c", "0", "COUNT", "1"}));
    EXPECT_EQ(page.cursor, "0") << command;
    EXPECT_EQ(page.items.size(), 2u * static_cast<size_t>(most)) << command;
    fill(kv, command, "d", most + 1);
    EXPECT_NE(parse_page(kv.run({command, "d", "0", "COUNT", "1"})).cursor, "0") << command;
  }
}

// A listpack is kept in score order, so ZSCAN of a small sorted set answers in that order
// (the differential fuzzer against redis-server 7.0.15 found raftkv's hash order here).
TEST(CollectionScan, ASmallSortedSetScansInScoreOrder) {
  KvHarness kv;
  kv.run({"ZADD", "z", "9223372036854775807", "Paris", "3377873811939968", "Palermo", "100", "a",
          "100", "B"});
  EXPECT_EQ(parse_page(kv.run({"ZSCAN", "z", "0"})).items,
            (std::vector<std::string>{"B", "100", "a", "100", "Palermo", "3377873811939968",
                                      "Paris", "9.2233720368547758e+18"}));
}

TEST(CollectionScan, RepliesCarryValuesAndScoresAndMatchFilters) {
  KvHarness kv;
  kv.run({"HSET", "h", "a1", "x", "b1", "y", "a2", "z"});
  kv.run({"ZADD", "z", "1.5", "a", "inf", "b"});
  kv.run({"SADD", "s", "a", "b"});
  const ScanReply hash = parse_page(kv.run({"HSCAN", "h", "0", "MATCH", "a*"}));
  EXPECT_EQ(hash.cursor, "0");
  std::map<std::string, std::string> fields;
  for (size_t i = 0; i + 1 < hash.items.size(); i += 2) fields[hash.items[i]] = hash.items[i + 1];
  EXPECT_EQ(fields, (std::map<std::string, std::string>{{"a1", "x"}, {"a2", "z"}}));
  const ScanReply zset = parse_page(kv.run({"ZSCAN", "z", "0", "MATCH", "b"}));
  EXPECT_EQ(zset.items, (std::vector<std::string>{"b", "inf"}));
  EXPECT_EQ(parse_page(kv.run({"SSCAN", "s", "0", "match", "a"})).items,
            (std::vector<std::string>{"a"}));
}

TEST(CollectionScan, OptionsAreCheckedOnlyForAnExistingKeyOfTheRightType) {
  KvHarness kv;
  const std::string empty = "*2\r\n$1\r\n0\r\n*0\r\n";
  const std::string wrong =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  EXPECT_EQ(kv.run({"HSCAN", "nope", "0", "BOGUS"}), empty);
  EXPECT_EQ(kv.run({"SSCAN", "nope", "0", "COUNT", "0"}), empty);
  EXPECT_EQ(kv.run({"ZSCAN", "nope", "x"}), "-ERR invalid cursor\r\n");
  kv.run({"SET", "str", "v"});
  EXPECT_EQ(kv.run({"HSCAN", "str", "0", "BOGUS"}), wrong);
  kv.run({"SADD", "s", "a"});
  EXPECT_EQ(kv.run({"ZSCAN", "s", "0"}), wrong);
  EXPECT_EQ(kv.run({"SSCAN", "s", "0", "TYPE", "set"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"SSCAN", "s", "0", "COUNT", "0"}), "-ERR syntax error\r\n");
  EXPECT_EQ(kv.run({"SSCAN", "s", "0", "COUNT", "x"}),
            "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(kv.run({"SSCAN", "s", "18446744073709551615"}), empty)
      << "a cursor past every hash ends the scan";
  EXPECT_EQ(kv.run({"SSCAN", "s", "18446744073709551616"}), "-ERR invalid cursor\r\n");
  EXPECT_EQ(kv.run({"SSCAN", "s", "-1"}), empty) << "-1 is 2^64 - 1, as strtoul reads it";
  EXPECT_EQ(kv.run({"SSCAN", "str", "-1"}), wrong);
}

TEST(CollectionScan, AnExpiredKeyScansEmpty) {
  KvHarness kv;
  kv.run({"HSET", "h", "f", "v"});
  kv.run({"PEXPIRE", "h", "10"});
  kv.time_ms += 10;
  EXPECT_EQ(kv.run({"HSCAN", "h", "0"}), "*2\r\n$1\r\n0\r\n*0\r\n");
}

}  // namespace
}  // namespace raftkv::kv
