#include "sim/linearizability.h"

#include <gtest/gtest.h>

namespace raftkv::sim {
namespace {

// Builds histories: times are small integers, ops get ids in order of creation.
class HistoryBuilder {
 public:
  HistoryBuilder& put(Time invoke, Time complete, std::string value, Outcome o = Outcome::kOk) {
    return add(KvOp::kPut, invoke, complete, std::move(value), "", "ok", o);
  }
  HistoryBuilder& append(Time invoke, Time complete, std::string value, Outcome o = Outcome::kOk) {
    return add(KvOp::kAppend, invoke, complete, std::move(value), "", "ok", o);
  }
  HistoryBuilder& get(Time invoke, Time complete, std::string seen) {
    return add(KvOp::kGet, invoke, complete, "", "", std::move(seen), Outcome::kOk);
  }
  HistoryBuilder& cas(Time invoke, Time complete, std::string from, std::string to,
                      std::string result) {
    return add(KvOp::kCas, invoke, complete, std::move(to), std::move(from), std::move(result),
               Outcome::kOk);
  }
  const History& history() const { return h_; }
  // The last op added was sent on `connection`.
  HistoryBuilder& on(uint64_t connection) {
    h_.back().connection = connection;
    return *this;
  }

 private:
  HistoryBuilder& add(KvOp op, Time invoke, Time complete, std::string arg, std::string expected,
                      std::string result, Outcome outcome) {
    Operation o;
    o.id = h_.size() + 1;
    o.command = KvCommand{o.id, 1, op, "k", std::move(arg), std::move(expected)};
    o.invoke = invoke;
    o.outcome = outcome;
    if (outcome == Outcome::kOk) {
      o.complete = complete;
      o.result = std::move(result);
    }
    h_.push_back(std::move(o));
    return *this;
  }
  History h_;
};

Linearizable check(const HistoryBuilder& b, uint64_t steps = 100000) {
  return check_linearizable(b.history(), steps).verdict;
}

TEST(Linearizability, SequentialHistoryIsLinearizable) {
  HistoryBuilder b;
  b.put(1, 2, "a").get(3, 4, "a").append(5, 6, "b").get(7, 8, "ab").cas(9, 10, "ab", "c", "ok");
  b.cas(11, 12, "ab", "d", "fail").get(13, 14, "c");
  EXPECT_EQ(check(b), Linearizable::kYes);
}

// A pipelined SET then GET on one connection: in real time they overlap, so plain
// linearizability lets the GET go first; per-connection order does not.
TEST(Linearizability, AConnectionsReadSeesItsEarlierWrite) {
  HistoryBuilder b;
  b.put(1, 2, "a").put(3, 10, "b").on(7).get(3, 10, "a").on(7);
  EXPECT_EQ(check(b), Linearizable::kNo);
  HistoryBuilder other;  // the same on two connections is fine
  other.put(1, 2, "a").put(3, 10, "b").on(7).get(3, 10, "a").on(8);
  EXPECT_EQ(check(other), Linearizable::kYes);
  HistoryBuilder later;  // and a connection's read before its write must not see it
  later.put(1, 2, "a").get(3, 10, "b").on(7).put(3, 10, "b").on(7);
  EXPECT_EQ(check(later), Linearizable::kNo);
}

TEST(Linearizability, StaleReadIsNot) {
  HistoryBuilder b;
  b.put(1, 2, "a").put(3, 4, "b").get(5, 6, "a");
  EXPECT_EQ(check(b), Linearizable::kNo);
}

TEST(Linearizability, ConcurrentOperationsMayTakeEffectInEitherOrder) {
  HistoryBuilder b;
  b.put(1, 10, "a").put(2, 9, "b").get(11, 12, "a");
  EXPECT_EQ(check(b), Linearizable::kYes);
  HistoryBuilder c;
  c.put(1, 10, "a").put(2, 9, "b").get(11, 12, "b");
  EXPECT_EQ(check(c), Linearizable::kYes);
}

TEST(Linearizability, ReadsMustAgreeOnOneOrder) {
  // Two readers see the concurrent writes in opposite orders after both completed.
  HistoryBuilder b;
  b.put(1, 10, "a").put(2, 9, "b").get(11, 12, "a").get(13, 14, "b");
  EXPECT_EQ(check(b), Linearizable::kNo);
}

TEST(Linearizability, AnUnknownWriteMayHaveHappenedLate) {
  HistoryBuilder b;
  b.put(1, 0, "a", Outcome::kUnknown).put(2, 3, "b").get(4, 5, "b").get(6, 7, "a");
  EXPECT_EQ(check(b), Linearizable::kYes);
}

TEST(Linearizability, AnUnknownWriteMayNeverHaveHappened) {
  HistoryBuilder b;
  b.put(1, 2, "b").put(3, 0, "a", Outcome::kUnknown).get(4, 5, "b");
  EXPECT_EQ(check(b), Linearizable::kYes);
}

TEST(Linearizability, AnUnknownWriteCannotTakeEffectBeforeItsInvocation) {
  HistoryBuilder b;
  b.get(1, 2, "a").put(3, 0, "a", Outcome::kUnknown);
  EXPECT_EQ(check(b), Linearizable::kNo);
}

TEST(Linearizability, AnUnknownAppendTakesEffectAtMostOnce) {
  HistoryBuilder b;
  b.append(1, 0, "x", Outcome::kUnknown).get(2, 3, "x").get(4, 5, "xx");
  EXPECT_EQ(check(b), Linearizable::kNo);
}

TEST(Linearizability, FailedWritesNeverHappened) {
  HistoryBuilder b;
  b.put(1, 0, "a", Outcome::kFailed).get(2, 3, "a");
  EXPECT_EQ(check(b), Linearizable::kNo);
}

TEST(Linearizability, CompareAndSetResultsMustFitTheOrder) {
  HistoryBuilder b;
  b.put(1, 2, "a").cas(3, 6, "a", "b", "ok").cas(4, 5, "a", "c", "ok");
  EXPECT_EQ(check(b), Linearizable::kNo);  // both cannot have seen "a"
  HistoryBuilder c;
  c.put(1, 2, "a").cas(3, 6, "a", "b", "ok").cas(4, 5, "a", "c", "fail").get(7, 8, "b");
  EXPECT_EQ(check(c), Linearizable::kYes);
}

TEST(Linearizability, KeysAreCheckedIndependently) {
  HistoryBuilder b;
  b.put(1, 2, "a");
  History h = b.history();
  Operation other = h.front();
  other.id = 2;
  other.command.key = "other";
  other.command.op = KvOp::kGet;
  other.result = "a";  // "other" was never written
  h.push_back(other);
  auto report = check_linearizable(h, 1000);
  EXPECT_EQ(report.verdict, Linearizable::kNo);
  EXPECT_EQ(report.key, "other");
}

TEST(Linearizability, ReportsUnknownWhenTheBudgetRunsOut) {
  // Many concurrent unknown appends and one impossible read: the search must give up.
  HistoryBuilder b;
  for (int i = 0; i < 16; ++i) b.append(1 + i, 0, std::to_string(i), Outcome::kUnknown);
  b.get(100, 101, "impossible");
  EXPECT_EQ(check(b, 500), Linearizable::kUnknown);
}

}  // namespace
}  // namespace raftkv::sim
