// Shared by the seed-sweep tests of each simulator feature (durable disk, membership):
// run seeds 1..N of one configuration and require every run to pass. Sanitizer and Debug
// builds define RAFTKV_SIM_SEED_DIVISOR to sweep a fraction of the seeds.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>

#include "sim/run_summary.h"
#include "sim/simulator.h"

#ifndef RAFTKV_SIM_SEED_DIVISOR
#define RAFTKV_SIM_SEED_DIVISOR 1
#endif

namespace raftkv::sim {

inline constexpr uint64_t kSweepSeedDivisor = RAFTKV_SIM_SEED_DIVISOR;

// Use as ASSERT_NO_FATAL_FAILURE(expect_seeds_pass(options, 200)).
inline void expect_seeds_pass(const SimOptions& options, uint64_t seeds) {
  RunSummary summary;
  for (uint64_t seed = 1; seed <= seeds / kSweepSeedDivisor; ++seed) {
    SimResult r = run_simulation(seed, options);
    summary.add(r);
    ASSERT_TRUE(r.ok()) << r.report();
  }
  std::cout << summary.describe(0);
}

// A hunt for an injected bug tests the simulator's checks, which a sanitizer makes no
// stricter, and it takes minutes under ASan; the sweeps run the same core under the
// sanitizers. So hunts run in the release build only (the divisor is 1 there).
#define RAFTKV_HUNT_IN_RELEASE_ONLY()                                          \
  do {                                                                         \
    if (::raftkv::sim::kSweepSeedDivisor > 1) {                                \
      GTEST_SKIP() << "bug hunts run in the release build (see seed_sweep.h)"; \
    }                                                                          \
  } while (false)

// Looks for a failing seed in 1..max_seeds (an injected bug must be caught); none if all pass.
inline std::optional<SimResult> first_failure(const SimOptions& options, uint64_t max_seeds) {
  for (uint64_t seed = 1; seed <= max_seeds; ++seed) {
    SimResult r = run_simulation(seed, options);
    if (!r.ok()) return r;
  }
  return std::nullopt;
}

// "skip_joint_consensus" -> "SkipJointConsensus", for parameterized test names.
inline std::string camel_case(const std::string& name) {
  std::string out;
  bool upper = true;
  for (char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

}  // namespace raftkv::sim
