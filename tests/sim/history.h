// The client-visible history of a run: one record per operation, from the moment a client
// invoked it to the moment it learned the outcome.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/kv_command.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

enum class Outcome : uint8_t {
  kPending,  // still in flight (only while the run goes on)
  kOk,       // completed; `result` holds what the client saw
  kFailed,   // definitely never took effect (every attempt was refused or lost)
  kUnknown,  // the client gave up: it may have taken effect at any time after invocation
};
const char* to_string(Outcome o);

struct Operation {
  uint64_t id = 0;  // unique within the run
  KvCommand command;
  Time invoke = 0;
  Time complete = kNever;  // kNever unless kOk
  Outcome outcome = Outcome::kPending;
  std::string result;  // "ok"/"fail" for writes, the value for reads
  // The connection that sent it (0: none), for per-connection order: a connection's
  // operations take effect in the order it sent them (ids grow in that order), even
  // when several are in flight at once (a pipeline).
  uint64_t connection = 0;

  std::string describe() const;
};

using History = std::vector<Operation>;

}  // namespace raftkv::sim
