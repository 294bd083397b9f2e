// A linearizability checker for the simulator's key-value histories, in the style of
// Wing & Gong with Lowe's memoization: search for an order of the operations that respects
// real time (an operation that completed before another was invoked comes first) and
// that a single-copy register per key explains. Keys are independent, so each key's
// sub-history is checked alone, which keeps the search small.
//
// An operation whose outcome is unknown may have taken effect at any moment after its
// invocation, or never; a failed one never did, and neither did a read without an answer.
//
// Per-connection order on top: an operation with a connection is linearized only after
// every earlier completed operation of that connection on the same key (Redis answers a
// connection's commands in order, pipelined or not). Earlier operations of unknown outcome
// are not forced first, so the check never reports a false violation; order across keys
// is not checked (keys are checked one at a time).
#pragma once

#include <cstdint>
#include <string>

#include "sim/history.h"

namespace raftkv::sim {

enum class Linearizable : uint8_t { kYes, kNo, kUnknown /* search budget exhausted */ };
const char* to_string(Linearizable l);

struct LinearizabilityReport {
  Linearizable verdict = Linearizable::kYes;
  std::string key;     // the first key that failed (or exhausted the budget)
  std::string detail;  // that key's operations, for the failure report
  uint64_t steps = 0;  // search steps spent over all keys
};

// `max_steps` bounds the search per key; past it the verdict is kUnknown, never a hang.
LinearizabilityReport check_linearizable(const History& history, uint64_t max_steps);

}  // namespace raftkv::sim
