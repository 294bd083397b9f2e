// Proof that the checks can fail: with each known bug injected, the simulator finds a
// violation within a bounded number of seeds, and the real core passes those same seeds.
#include <gtest/gtest.h>

#include "sim/seed_sweep.h"
#include "sim/simulator.h"

namespace raftkv::sim {
namespace {

struct BugCase {
  InjectedBug bug;
  int nodes;
  uint64_t max_seeds;
};

std::string bug_name(const testing::TestParamInfo<BugCase>& info) {
  return camel_case(to_string(info.param.bug)) + std::to_string(info.param.nodes) + "Nodes";
}

class InjectedBugs : public testing::TestWithParam<BugCase> {};

TEST_P(InjectedBugs, SimulatorCatchesIt) {
  RAFTKV_HUNT_IN_RELEASE_ONLY();
  const BugCase& c = GetParam();
  SimOptions options = aggressive_options(c.nodes);
  options.bug = c.bug;
  std::optional<SimResult> caught;
  for (uint64_t seed = 1; seed <= c.max_seeds && !caught; ++seed) {
    SimResult r = run_simulation(seed, options);
    if (!r.ok()) caught = std::move(r);
  }
  ASSERT_TRUE(caught) << to_string(c.bug) << " went unnoticed for " << c.max_seeds << " seeds";
  std::cout << to_string(c.bug) << ": caught at seed " << caught->seed << " ("
            << caught->violation->property << ": " << caught->violation->detail << ")\n";

  options.bug = InjectedBug::kNone;
  for (uint64_t seed = 1; seed <= caught->seed; ++seed) {
    SimResult r = run_simulation(seed, options);
    ASSERT_TRUE(r.ok()) << "the real core fails a seed the bug hunt used:\n" << r.report();
  }
}

// Budgets are about five times the seed at which each bug is first caught today, so a
// change that makes the simulator blind to a bug fails here rather than going unnoticed.
INSTANTIATE_TEST_SUITE_P(Bugs, InjectedBugs,
                         testing::Values(BugCase{InjectedBug::kSkipElectionRestriction, 3, 50},
                                         BugCase{InjectedBug::kSkipElectionRestriction, 5, 50},
                                         BugCase{InjectedBug::kCommitPreviousTerm, 3, 300},
                                         BugCase{InjectedBug::kCommitPreviousTerm, 5, 600},
                                         BugCase{InjectedBug::kTruncateMatchingSuffix, 3, 50},
                                         BugCase{InjectedBug::kTruncateMatchingSuffix, 5, 50},
                                         BugCase{InjectedBug::kUnconfirmedReads, 3, 300},
                                         BugCase{InjectedBug::kUnconfirmedReads, 5, 300},
                                         BugCase{InjectedBug::kForgetVoteOnRestart, 3, 100},
                                         BugCase{InjectedBug::kForgetVoteOnRestart, 5, 300}),
                         bug_name);

}  // namespace
}  // namespace raftkv::sim
