// Membership changes in the simulator: random additions, promotions, removals, replacements
// of several voters at once, growing 3 -> 5 and shrinking back, and leadership transfers,
// during partitions and crashes. The real core passes every check; each membership bug
// injected into it is caught within a bounded number of seeds.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sim/seed_sweep.h"

namespace raftkv::sim {
namespace {

struct MembershipSweep {
  int nodes;
  uint64_t seeds;
  bool hunt;  // membership_options (the bug-hunting mix) instead of the default mix
  bool durable;
};

std::string sweep_name(const testing::TestParamInfo<MembershipSweep>& info) {
  const MembershipSweep& s = info.param;
  return std::to_string(s.nodes) + "Nodes" + (s.hunt ? "Hunt" : "Default") +
         (s.durable ? "DurableDisk" : "");
}

SimOptions options_for(const MembershipSweep& s) {
  SimOptions o = s.hunt ? membership_options(s.nodes) : SimOptions{};
  o.nodes = s.nodes;
  o.membership.enabled = true;
  if (s.durable) {
    o.disk_kind = DiskKind::kDurable;
    o.faults.disk_faults = true;
  }
  return o;
}

class MembershipSimSeeds : public testing::TestWithParam<MembershipSweep> {};

TEST_P(MembershipSimSeeds, RealCorePassesEveryCheck) {
  expect_seeds_pass(options_for(GetParam()), GetParam().seeds);
}

INSTANTIATE_TEST_SUITE_P(Sweeps, MembershipSimSeeds,
                         testing::Values(MembershipSweep{3, 200, false, false},
                                         MembershipSweep{5, 100, false, false},
                                         MembershipSweep{3, 200, true, false},
                                         MembershipSweep{5, 120, true, false},
                                         MembershipSweep{3, 100, false, true}),
                         sweep_name);

// Changes really happen, of every kind, and new nodes end up holding the log.
TEST(MembershipSim, ChangesOfEveryKindAreMade) {
  SimOptions options;
  options.membership.enabled = true;
  options.keep_trace = true;
  std::map<std::string, int> kinds;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SimResult r = run_simulation(seed, options);
    ASSERT_TRUE(r.ok()) << r.report();
    for (const std::string& line : r.trace) {
      for (const char* kind : {"add learner", "promote", "remove", "replace", "grow by",
                               "shrink by", "transfer leadership"}) {
        if (line.find(" takes " + std::string(kind)) != std::string::npos) ++kinds[kind];
      }
    }
  }
  EXPECT_EQ(kinds.size(), 7u);
  for (const auto& [kind, count] : kinds) std::cout << kind << ": " << count << "\n";
}

struct MembershipBug {
  InjectedBug bug;
  int nodes;
  uint64_t max_seeds;
};

class MembershipInjectedBugs : public testing::TestWithParam<MembershipBug> {};

TEST_P(MembershipInjectedBugs, SimulatorCatchesIt) {
  RAFTKV_HUNT_IN_RELEASE_ONLY();
  const MembershipBug& c = GetParam();
  SimOptions options = membership_options(c.nodes);
  options.bug = c.bug;
  std::optional<SimResult> caught = first_failure(options, c.max_seeds);
  ASSERT_TRUE(caught) << to_string(c.bug) << " went unnoticed for " << c.max_seeds << " seeds";
  std::cout << to_string(c.bug) << ": caught at seed " << caught->seed << " ("
            << caught->violation->property << ": " << caught->violation->detail << ")\n";
  options.bug = InjectedBug::kNone;
  std::optional<SimResult> real = first_failure(options, caught->seed);
  EXPECT_FALSE(real) << "the real core fails a seed the bug hunt used:\n" << real->report();
}

// Budgets are about five times the seed at which each bug is first caught today.
INSTANTIATE_TEST_SUITE_P(
    Bugs, MembershipInjectedBugs,
    testing::Values(MembershipBug{InjectedBug::kSkipJointConsensus, 3, 50},
                    MembershipBug{InjectedBug::kSkipJointConsensus, 5, 50},
                    MembershipBug{InjectedBug::kAllowConcurrentConfChanges, 3, 50},
                    MembershipBug{InjectedBug::kAllowConcurrentConfChanges, 5, 120}),
    [](const testing::TestParamInfo<MembershipBug>& info) {
      return camel_case(to_string(info.param.bug)) + std::to_string(info.param.nodes) + "Nodes";
    });

}  // namespace
}  // namespace raftkv::sim
