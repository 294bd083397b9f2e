// MEMORY USAGE: nil for a missing key, and estimates that grow with what a key holds.
#include <gtest/gtest.h>

#include <string>

#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

int64_t usage(KvHarness& kv, const Argv& argv) {
  const std::string reply = kv.run(argv);
  EXPECT_EQ(reply.front(), ':') << reply;
  return std::stoll(reply.substr(1));
}

TEST(MemoryUsage, MissingKeyIsNil) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"MEMORY", "USAGE", "nope"}), "$-1\r\n");
  kv.run({"SET", "gone", "v", "PX", "1"});
  kv.time_ms += 10;  // past its deadline: reads as absent
  EXPECT_EQ(kv.run({"MEMORY", "USAGE", "gone"}), "$-1\r\n");
}

TEST(MemoryUsage, StringsCountTheirBytes) {
  KvHarness kv;
  kv.run({"SET", "small", "v"});
  kv.run({"SET", "large", std::string(1000, 'x')});
  const int64_t small = usage(kv, {"MEMORY", "USAGE", "small"});
  const int64_t large = usage(kv, {"MEMORY", "USAGE", "large"});
  EXPECT_GT(small, 0);
  EXPECT_GE(large - small, 1000) << "the value's bytes are counted";
  EXPECT_LT(large - small, 1100);
}

// An overwrite, a shrink or a delete gives the old buffer back (issue 18): std::string
// keeps its capacity when assigned a shorter value, and MEMORY USAGE counts capacity.
TEST(MemoryUsage, OverwritingWithLessGivesMemoryBack) {
  KvHarness kv;
  const std::string big(100'000, 'x');
  kv.run({"SET", "small", "0123456789"});
  const int64_t small = usage(kv, {"MEMORY", "USAGE", "small"});
  const auto overwritten = [&](const Argv& grow, const Argv& shrink) {
    kv.run({"DEL", "k"});
    kv.run(grow);
    EXPECT_GT(usage(kv, {"MEMORY", "USAGE", "k"}), 100'000);
    kv.run(shrink);
    return usage(kv, {"MEMORY", "USAGE", "k"});
  };
  EXPECT_EQ(overwritten({"SET", "k", big}, {"SET", "k", "0123456789"}), small);
  EXPECT_EQ(overwritten({"SET", "k", big}, {"SET", "k", "0123456789", "KEEPTTL"}), small);
  EXPECT_EQ(overwritten({"SET", "k", big}, {"SETEX", "k", "100", "0123456789"}), small);
  EXPECT_EQ(overwritten({"SET", "k", big}, {"GETSET", "k", "0123456789"}), small);
  EXPECT_EQ(overwritten({"SET", "k", big}, {"MSET", "k", "0123456789"}), small);
  EXPECT_EQ(overwritten({"SET", "k", big}, {"SET", "k", "012345678901234567890"}), small + 22)
      << "a heap-held value: its bytes and terminator";
  EXPECT_LT(overwritten({"HSET", "k", "f", big}, {"HSET", "k", "f", "v"}), 1000);
  EXPECT_LT(overwritten({"HSET", "k", "f", big}, {"HSET", "k", "f", "0123456789012345678"}), 1000);
  EXPECT_LT(overwritten({"RPUSH", "k", big}, {"LSET", "k", "0", "v"}), 1000);
  kv.run({"DEL", "k"});
  EXPECT_EQ(kv.run({"MEMORY", "USAGE", "k"}), "$-1\r\n");
}

TEST(MemoryUsage, CollectionsGrowWithTheirElements) {
  KvHarness kv;
  for (const char* key : {"l", "h", "s", "z"}) {
    const std::string k(key);
    kv.run(k == "l"   ? Argv{"RPUSH", k, "a"}
           : k == "h" ? Argv{"HSET", k, "f0", "v"}
           : k == "s" ? Argv{"SADD", k, "m0"}
                      : Argv{"ZADD", k, "1", "m0"});
    const int64_t one = usage(kv, {"MEMORY", "USAGE", k});
    for (int i = 1; i < 100; ++i) {
      const std::string n = std::to_string(i);
      kv.run(k == "l"   ? Argv{"RPUSH", k, "a"}
             : k == "h" ? Argv{"HSET", k, "f" + n, "v"}
             : k == "s" ? Argv{"SADD", k, "m" + n}
                        : Argv{"ZADD", k, n, "m" + n});
    }
    const int64_t hundred = usage(kv, {"MEMORY", "USAGE", k, "SAMPLES", "0"});
    EXPECT_GT(hundred, one + 99 * 16) << k << ": every element costs at least its node";
    // Sampling a few like elements extrapolates to about the same figure.
    const int64_t sampled = usage(kv, {"MEMORY", "USAGE", k, "SAMPLES", "5"});
    EXPECT_NEAR(static_cast<double>(sampled), static_cast<double>(hundred), hundred * 0.1) << k;
  }
}

}  // namespace
}  // namespace raftkv::kv
