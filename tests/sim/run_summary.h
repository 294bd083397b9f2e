// Aggregates many runs: failures, operation outcomes, and the election statistics the
// liveness report asks for (ticks to elect a leader after a leader crash, split votes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/simulator.h"

namespace raftkv::sim {

class RunSummary {
 public:
  void add(const SimResult& r);
  uint64_t runs() const { return runs_; }
  uint64_t failures() const { return failed_seeds_.size(); }
  const std::vector<uint64_t>& failed_seeds() const { return failed_seeds_; }
  const std::vector<int>& election_ticks() const { return election_ticks_; }
  // A human-readable report; `seconds` is the wall time the runs took (0: not measured).
  std::string describe(double seconds) const;

 private:
  uint64_t runs_ = 0;
  std::vector<uint64_t> failed_seeds_;
  std::vector<int> election_ticks_;
  uint64_t events_ = 0, messages_ = 0, ops_ok_ = 0, ops_failed_ = 0, ops_unknown_ = 0;
  uint64_t elections_ = 0, split_votes_ = 0, lin_unknown_ = 0, faults_ = 0;
  uint64_t conf_changes_ = 0;
  uint64_t compactions_ = 0, snapshots_sent_ = 0, snapshots_installed_ = 0;
  uint64_t rewrites_staged_ = 0;
};

}  // namespace raftkv::sim
