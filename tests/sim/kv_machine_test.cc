#include "sim/kv_machine.h"

#include <gtest/gtest.h>

namespace raftkv::sim {
namespace {

raft::Entry entry(raft::Index index, const KvCommand& c) {
  return raft::Entry{1, index, raft::EntryType::kNormal, encode(c)};
}

TEST(KvCommand, RoundTrips) {
  KvCommand c{7, 3, KvOp::kCas, "k1", "new", "old"};
  EXPECT_EQ(decode(encode(c)), c);
  EXPECT_FALSE(decode("1|2|3"));
  EXPECT_FALSE(decode("1|2|9|k|a|b"));
}

TEST(KvMachine, AppliesEachOperation) {
  KvMachine kv;
  EXPECT_EQ(kv.apply(entry(1, {1, 1, KvOp::kPut, "k", "a", ""})), "ok");
  EXPECT_EQ(kv.apply(entry(2, {1, 2, KvOp::kAppend, "k", "b", ""})), "ok");
  EXPECT_EQ(kv.get("k"), "ab");
  EXPECT_EQ(kv.apply(entry(3, {1, 3, KvOp::kCas, "k", "c", "x"})), "fail");
  EXPECT_EQ(kv.apply(entry(4, {1, 4, KvOp::kCas, "k", "c", "ab"})), "ok");
  EXPECT_EQ(kv.get("k"), "c");
  EXPECT_EQ(kv.apply(raft::Entry{2, 5, raft::EntryType::kNormal, ""}), "");  // leader no-op
  EXPECT_EQ(kv.applied(), 5u);
}

// A retried write must take effect once, and its retry must report the first result.
TEST(KvMachine, AppliesARetriedWriteOnce) {
  KvMachine kv;
  KvCommand append{1, 1, KvOp::kAppend, "k", "x", ""};
  EXPECT_EQ(kv.apply(entry(1, append)), "ok");
  EXPECT_EQ(kv.apply(entry(2, append)), "ok");
  EXPECT_EQ(kv.get("k"), "x");
  // An abandoned older write that commits late takes no effect.
  EXPECT_EQ(kv.apply(entry(3, {1, 2, KvOp::kPut, "k", "y", ""})), "ok");
  EXPECT_EQ(kv.apply(entry(4, append)), "stale");
  EXPECT_EQ(kv.get("k"), "y");
}

TEST(KvMachine, EqualLogsGiveEqualDigests) {
  KvMachine a, b;
  for (raft::Index i = 1; i <= 3; ++i) {
    KvCommand c{i % 2, i, KvOp::kAppend, "k", std::to_string(i), ""};
    a.apply(entry(i, c));
    b.apply(entry(i, c));
  }
  EXPECT_EQ(a.digest(), b.digest());
  b.apply(entry(4, {9, 1, KvOp::kPut, "k", "z", ""}));
  EXPECT_NE(a.digest(), b.digest());
}

}  // namespace
}  // namespace raftkv::sim
