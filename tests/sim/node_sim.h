// The whole-node simulation: a cluster of ServerNodes — the server's own driver, request
// path and key-value state machine — under seeded faults, with pipelining Redis clients.
//
// Faults: message loss, duplication, delay and reordering; partitions; crashes and
// restarts; pauses; disk stalls (completions held for 1-5 election timeouts while the node
// keeps ticking and stepping); wall-clock skew and steps, backwards too. After
// `fault_time` everything heals (clock offsets stay).
//
// Checks:
//   - state-machine safety: every node applies the same entry at each index;
//   - linearizability with per-connection order, on GET/SET/APPEND of a few keys;
//   - expiry never reverses: once a read saw a TTL key gone, no later read sees it;
//   - transactions: transfers (MULTI/EXEC) keep the accounts' sum at 0 for every audit,
//     and WATCH increments of a counter lose no update and commit none twice;
//   - the job queue: no element popped twice or never pushed, none acknowledged lost;
//     the stream consumer group keeps its promises (sim/stream_check.h);
//   - at the end, a leader, every operation answered, every member of the configuration
//     at the same applied index with the same DEBUG DIGEST.
//
// With `membership`, the server's MembershipService runs in every node: the operator's
// RAFT commands go through the request path, configuration and member entries apply
// through it, and a node sends Raft messages only to the peers it has connected.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/history.h"
#include "sim/network.h"
#include "sim/node_operator.h"
#include "sim/safety_monitor.h"
#include "sim/server_node.h"

namespace raftkv::sim {

struct NodeSimOptions {
  int nodes = 3;
  int clients = 4;
  int keys = 3;
  int window = 4;  // commands a client keeps in flight on its connection (pipelining)
  Time fault_time = 400 * kTick;
  Time liveness_bound = 300 * kTick;
  Time min_fault_gap = 5 * kTick;
  Time max_fault_gap = 40 * kTick;
  Time max_fault_duration = 60 * kTick;
  NetworkConfig network{.loss = 0.02, .duplicate = 0.02};
  bool partitions = true;
  bool crashes = true;
  bool pauses = true;
  bool disk_stalls = true;
  bool clock_faults = true;
  int64_t max_clock_step_ms = 3000;
  double ttl_ops = 0.3;  // share of operations on keys with a deadline
  // Share of operations that are transactions: transfers between accounts, audits of
  // their sum, and WATCH-based increments of a counter.
  double tx_ops = 0.15;
  // Share of the other operations that use a job queue: half a list (RPUSH of unique
  // elements, LPOP or BLPOP), half a stream consumer group (XADD, XREADGROUP, XACK).
  double queue_ops = 0.15;
  // Share of clients that tag writes with an exactly-once session and retry them when
  // their outcome is unknown (docs/sessions.md).
  double session_clients = 0.5;
  // Each node takes a snapshot (and compacts its log) every N applied entries, N drawn per
  // node from [max/4, max]; 0: never.
  uint64_t snapshot_every_max = 64;
  ServerNodeConfig node;
  // Membership changes: `spare_nodes` more nodes start as joining nodes (no configuration,
  // as `raftkv serve --join`), and an operator sends RAFT changes (sim/node_operator.h)
  // until the faults heal.
  bool membership = false;
  int spare_nodes = 2;
  NodeOperatorConfig operator_config;
  uint64_t linearizability_steps = 2'000'000;
  std::ostream* trace_out = nullptr;
};

struct NodeSimResult {
  uint64_t seed = 0;
  std::optional<Violation> violation;
  Time at = 0;
  std::vector<std::string> trace_tail;
  uint64_t ops_ok = 0, ops_failed = 0, ops_unknown = 0, faults = 0, events = 0;
  uint64_t snapshots_taken = 0, snapshots_installed = 0;
  uint64_t changes_sent = 0, changes_done = 0;  // the operator's RAFT changes (membership)

  bool ok() const { return !violation; }
  std::string report() const;
};

NodeSimResult run_node_simulation(uint64_t seed, const NodeSimOptions& options);

}  // namespace raftkv::sim
