// LATENCY, as Redis 7.0 answers it with its latency monitor off (raftkv has none: no
// event is ever sampled, so LATEST and HISTORY are empty, RESET resets nothing, GRAPH has
// no samples and DOCTOR says so), and LATENCY HISTOGRAM from the per-command latencies
// that INFO latencystats reports (command_stats.h).
#pragma once

#include <string>

#include "kv/argv.h"
#include "server/command_counters.h"

namespace raftkv::server {

// The RESP2 reply to `argv` (LATENCY <subcommand> ...; its arity checked by classify).
std::string latency_command(const kv::Argv& argv, const CommandCounters& counters);

}  // namespace raftkv::server
