// The rewrite choreography (rewrite_choreography.h): the real core passes it on 5 and 7
// voters, and without the accepted-term guard the follower applies an entry that never
// committed. Random faults never caught that bug; this nemesis catches it at once.
#include <gtest/gtest.h>

#include "sim/seed_sweep.h"
#include "sim/simulator.h"

namespace raftkv::sim {
namespace {

// The real core, with crashes and pauses on top (they spoil some attempts, which then
// end and start again) or without them.
void expect_core_passes(int nodes, uint64_t seeds, bool crashes_and_pauses) {
  SimOptions options = rewrite_options(nodes);
  options.faults.crashes = crashes_and_pauses;
  options.faults.pauses = crashes_and_pauses;
  RunSummary summary;
  uint64_t staged = 0;
  for (uint64_t seed = 1; seed <= seeds / kSweepSeedDivisor; ++seed) {
    SimResult r = run_simulation(seed, options);
    summary.add(r);
    staged += r.stats.rewrites_staged;
    ASSERT_TRUE(r.ok()) << r.report();
  }
  std::cout << summary.describe(0);
  // Most runs play it to the end at least once: the sweep tests what it says it does.
  EXPECT_GE(staged, seeds / kSweepSeedDivisor / 2);
}

TEST(RewriteSim, RealCorePassesOnFiveNodes) {
  expect_core_passes(5, 200, false);
}

TEST(RewriteSim, RealCorePassesOnSevenNodes) {
  expect_core_passes(7, 80, false);
}

TEST(RewriteSim, RealCorePassesWithCrashesAndPauses) {
  expect_core_passes(5, 200, true);
}

TEST(RewriteSim, ThreeNodesCannotStageIt) {
  // B needs a majority without A and C: with three voters the choreography never starts.
  SimResult r = run_simulation(1, rewrite_options(3));
  ASSERT_TRUE(r.ok()) << r.report();
  EXPECT_EQ(r.stats.rewrites_staged, 0u);
}

class RewriteBug : public testing::TestWithParam<int> {};

TEST_P(RewriteBug, WithoutTheAcceptedTermGuardAnUncommittedEntryIsApplied) {
  RAFTKV_HUNT_IN_RELEASE_ONLY();
  SimOptions options = rewrite_options(GetParam());
  options.bug = InjectedBug::kIgnoreAcceptedTerm;
  std::optional<SimResult> caught = first_failure(options, 10);
  ASSERT_TRUE(caught) << "ignore_accepted_term went unnoticed for 10 seeds";
  std::cout << "caught at seed " << caught->seed << " (" << caught->violation->property << ": "
            << caught->violation->detail << ")\n";
  EXPECT_EQ(caught->violation->property, "state-machine safety");
  options.bug = InjectedBug::kNone;
  SimResult same = run_simulation(caught->seed, options);
  EXPECT_TRUE(same.ok()) << same.report();
}

INSTANTIATE_TEST_SUITE_P(Bugs, RewriteBug, testing::Values(5, 7),
                         [](const auto& info) { return std::to_string(info.param) + "Nodes"; });

}  // namespace
}  // namespace raftkv::sim
