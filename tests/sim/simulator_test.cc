// The simulator against the real core: sweeps of seeds per cluster size must pass every
// check, and a seed must replay to the same trace.
#include "sim/simulator.h"

#include <gtest/gtest.h>

#include "sim/run_summary.h"

#ifndef RAFTKV_SIM_SEED_DIVISOR
#define RAFTKV_SIM_SEED_DIVISOR 1
#endif

namespace raftkv::sim {
namespace {

constexpr uint64_t kSeedDivisor = RAFTKV_SIM_SEED_DIVISOR;

struct Sweep {
  int nodes;
  uint64_t seeds;
  bool aggressive;
};

std::string sweep_name(const testing::TestParamInfo<Sweep>& info) {
  return std::to_string(info.param.nodes) + "Nodes" +
         (info.param.aggressive ? "Aggressive" : "Default");
}

SimOptions options_for(const Sweep& s) {
  if (s.aggressive) return aggressive_options(s.nodes);
  SimOptions o;
  o.nodes = s.nodes;
  return o;
}

class SimSeeds : public testing::TestWithParam<Sweep> {};

TEST_P(SimSeeds, RealCorePassesEveryCheck) {
  const Sweep& sweep = GetParam();
  SimOptions options = options_for(sweep);
  RunSummary summary;
  for (uint64_t seed = 1; seed <= sweep.seeds / kSeedDivisor; ++seed) {
    SimResult r = run_simulation(seed, options);
    summary.add(r);
    ASSERT_TRUE(r.ok()) << r.report();
    // Every run completes client operations (at least those pending when faults heal).
    EXPECT_GT(r.stats.ops_ok, 0u) << "seed " << seed;
  }
  std::cout << summary.describe(0);
}

INSTANTIATE_TEST_SUITE_P(Sweeps, SimSeeds,
                         testing::Values(Sweep{3, 400, false}, Sweep{5, 250, false},
                                         Sweep{7, 120, false}, Sweep{3, 300, true},
                                         Sweep{5, 200, true}, Sweep{7, 80, true}),
                         sweep_name);

TEST(SimReplay, SameSeedPrintsTheSameTrace) {
  SimOptions options;
  options.keep_trace = true;
  SimResult a = run_simulation(11, options);
  SimResult b = run_simulation(11, options);
  ASSERT_TRUE(a.ok()) << a.report();
  EXPECT_GT(a.trace.size(), 1000u);
  EXPECT_EQ(a.trace, b.trace);
  SimResult c = run_simulation(12, options);
  EXPECT_NE(a.trace, c.trace);
}

TEST(SimReplay, AFailingSeedReplaysIdentically) {
  SimOptions options = aggressive_options(3);
  options.bug = InjectedBug::kSkipElectionRestriction;
  options.keep_trace = true;
  uint64_t seed = 1;
  SimResult first = run_simulation(seed, options);
  while (first.ok() && seed < 50) first = run_simulation(++seed, options);
  ASSERT_FALSE(first.ok()) << "no failing seed to replay";
  SimResult again = run_simulation(seed, options);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(first.violation->property, again.violation->property);
  EXPECT_EQ(first.violation->detail, again.violation->detail);
  EXPECT_EQ(first.at, again.at);
  EXPECT_EQ(first.trace, again.trace);
  EXPECT_EQ(first.report(), again.report());
}

// Liveness statistics are produced: leaders crash and new ones are elected.
TEST(SimLiveness, ReportsElectionTimesAfterLeaderCrashes) {
  SimOptions options;
  options.faults.partitions = false;
  options.faults.pauses = false;
  RunSummary summary;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SimResult r = run_simulation(seed, options);
    ASSERT_TRUE(r.ok()) << r.report();
    summary.add(r);
  }
  ASSERT_FALSE(summary.election_ticks().empty());
  for (int ticks : summary.election_ticks()) {
    // Pre-vote, vote and a randomized timeout of [10, 20) ticks: well under 100 ticks.
    EXPECT_LT(ticks, 100);
  }
  std::cout << summary.describe(0);
}

}  // namespace
}  // namespace raftkv::sim
