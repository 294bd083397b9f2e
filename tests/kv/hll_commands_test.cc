// HyperLogLogs: Redis's value layout, the estimate, the cache PFCOUNT reads but never
// writes, PFMERGE, corrupt values (errors, never a crash), and snapshots.
#include <gtest/gtest.h>

#include <random>

#include "kv/hyperloglog.h"
#include "kv_harness.h"

namespace raftkv::kv {
namespace {

using testing::KvHarness;

std::string bulk(const std::string& s) {
  return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

// A new HLL as Redis stores it: sparse, one XZERO opcode for every register, the cache
// flagged stale by the PFADD that made it.
const std::string kNewHll = std::string("HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff", 18);

TEST(HllCommands, NewKeyHoldsRedisEmptySparseValue) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"PFADD", "h"}), ":1\r\n");
  EXPECT_EQ(kv.run({"GET", "h"}), bulk(kNewHll));
  EXPECT_EQ(kv.run({"PFADD", "h"}), ":0\r\n");
  EXPECT_EQ(kv.run({"PFCOUNT", "h"}), ":0\r\n");
  EXPECT_EQ(kv.run({"TYPE", "h"}), "+string\r\n");
}

TEST(HllCommands, OneElementIsOneSparseValOpcode) {
  KvHarness kv;
  EXPECT_EQ(kv.run({"PFADD", "h", "a"}), ":1\r\n");
  EXPECT_EQ(kv.run({"PFADD", "h", "a"}), ":0\r\n") << "no register grew";
  const std::string value = kv.run({"GET", "h"});
  // header (16) + a run of zeros, one VAL, zeros again: at most 5 opcode bytes.
  EXPECT_GE(value.size(), std::string("$19\r\n").size() + 19 + 2);
  EXPECT_EQ(kv.run({"PFCOUNT", "h"}), ":1\r\n");
}

TEST(HllCommands, EstimateIsCloseAndValueTurnsDense) {
  KvHarness kv;
  Argv add = {"PFADD", "h"};
  for (int i = 0; i < 20000; ++i) add.push_back("element:" + std::to_string(i));
  EXPECT_EQ(kv.run(add), ":1\r\n");
  EXPECT_EQ(kv.run({"STRLEN", "h"}), ":" + std::to_string(hll::kDenseSize) + "\r\n");
  const std::string reply = kv.run({"PFCOUNT", "h"});
  const long count = std::stol(reply.substr(1));
  EXPECT_NEAR(count, 20000, 20000 * 0.02) << reply;
}

TEST(HllCommands, PfcountReadsTheCacheButNeverWritesIt) {
  KvHarness kv;
  kv.run({"PFADD", "h", "a", "b", "c"});
  const std::string before = kv.run({"GET", "h"});
  EXPECT_EQ(kv.run({"PFCOUNT", "h"}), ":3\r\n");
  EXPECT_EQ(kv.run({"GET", "h"}), before) << "a read must not change the value";
  // A valid cache (top bit of byte 15 clear) is answered as is, as Redis does.
  std::string cached = kNewHll;
  cached[8] = 42;
  cached[15] = 0;
  kv.run({"SET", "c", cached});
  EXPECT_EQ(kv.run({"PFCOUNT", "c"}), ":42\r\n");
}

TEST(HllCommands, MergeTakesTheMaximumOfEachRegister) {
  KvHarness kv;
  Argv a = {"PFADD", "a"}, b = {"PFADD", "b"};
  for (int i = 0; i < 3000; ++i) a.push_back("x" + std::to_string(i));
  for (int i = 0; i < 10; ++i) b.push_back("y" + std::to_string(i));
  kv.run(a);
  kv.run(b);
  EXPECT_EQ(kv.run({"PFMERGE", "m", "a", "b"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"PFCOUNT", "m"}), kv.run({"PFCOUNT", "a", "b"}));
  EXPECT_EQ(kv.run({"STRLEN", "m"}), ":" + std::to_string(hll::kDenseSize) + "\r\n")
      << "a dense source makes the destination dense";
  EXPECT_EQ(kv.run({"PFMERGE", "e"}), "+OK\r\n");
  EXPECT_EQ(kv.run({"GET", "e"}), bulk(kNewHll));
}

TEST(HllCommands, WrongTypesAndBadArguments) {
  KvHarness kv;
  kv.run({"SET", "s", "not an hll at all"});
  kv.run({"RPUSH", "l", "x"});
  const std::string not_hll = "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n";
  EXPECT_EQ(kv.run({"PFADD", "s", "a"}), not_hll);
  EXPECT_EQ(kv.run({"PFCOUNT", "s"}), not_hll);
  EXPECT_EQ(kv.run({"PFMERGE", "d", "s"}), not_hll);
  EXPECT_EQ(kv.run({"EXISTS", "d"}), ":0\r\n");
  EXPECT_EQ(kv.run({"PFADD", "l", "a"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(kv.run({"PFADD"}), "-ERR wrong number of arguments for 'pfadd' command\r\n");
  EXPECT_EQ(kv.run({"PFCOUNT"}), "-ERR wrong number of arguments for 'pfcount' command\r\n");
  std::string dense_short = kNewHll;
  dense_short[4] = 0;  // dense, but not 12304 bytes
  kv.run({"SET", "ds", dense_short});
  EXPECT_EQ(kv.run({"PFCOUNT", "ds"}), not_hll);
}

// Random bytes after a HYLL header: every reply is a count, OK, or one of Redis's two
// errors, and nothing reads or writes outside the value (ASan/UBSan builds check that).
TEST(HllCommands, CorruptValuesGiveErrorsNeverCrash) {
  KvHarness kv;
  std::mt19937_64 rng(1);
  const std::string corrupt = "-INVALIDOBJ Corrupted HLL object detected\r\n";
  int corrupt_seen = 0;
  for (int round = 0; round < 400; ++round) {
    std::string value = std::string("HYLL", 4) + static_cast<char>(rng() % 3);
    value.resize(16 + rng() % 64);
    for (size_t i = 5; i < value.size(); ++i) value[i] = static_cast<char>(rng());
    if (value[4] == 0) value.resize(hll::kDenseSize, '\x55');
    kv.run({"SET", "c", value});
    for (const Argv& argv : std::vector<Argv>{{"PFADD", "c", std::to_string(round)},
                                              {"PFCOUNT", "c"},
                                              {"PFCOUNT", "c", "c"},
                                              {"PFMERGE", "m", "c"}}) {
      const std::string reply = kv.run(argv);
      corrupt_seen += reply == corrupt ? 1 : 0;
      EXPECT_TRUE(reply[0] == ':' || reply == "+OK\r\n" || reply == corrupt ||
                  reply.rfind("-WRONGTYPE Key is not a valid", 0) == 0)
          << argv[0] << " " << reply;
    }
  }
  EXPECT_GT(corrupt_seen, 100) << "the corrupt cases were reached";
}

TEST(HllCommands, SurviveSnapshotRestore) {
  KvHarness kv;
  Argv add = {"PFADD", "dense"};
  for (int i = 0; i < 5000; ++i) add.push_back(std::to_string(i));
  kv.run(add);
  kv.run({"PFADD", "sparse", "a", "b"});
  StateMachine restored;
  ASSERT_TRUE(restored.restore(kv.sm.serialize()).is_ok());
  for (const Argv& read : std::vector<Argv>{{"GET", "dense"},
                                            {"GET", "sparse"},
                                            {"PFCOUNT", "dense"},
                                            {"PFCOUNT", "dense", "sparse"}}) {
    EXPECT_EQ(restored.read(read), kv.sm.read(read)) << read[0];
  }
}

TEST(HllCommands, MurmurHashMatchesReferenceValues) {
  // MurmurHash64A's reference outputs (seed 0): the empty string hashes to 0, and the
  // tail and block paths both feed the result.
  EXPECT_EQ(hll::murmur_hash64a("", 0), 0u);
  EXPECT_NE(hll::murmur_hash64a("a", 0xadc83b19ULL), hll::murmur_hash64a("b", 0xadc83b19ULL));
  EXPECT_NE(hll::murmur_hash64a("12345678a", 0xadc83b19ULL),
            hll::murmur_hash64a("12345679a", 0xadc83b19ULL));
}

}  // namespace
}  // namespace raftkv::kv
