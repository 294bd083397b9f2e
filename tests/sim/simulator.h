// A seeded run of a whole cluster: nodes of the real Raft core on simulated disks, a faulty
// network, clients with a recorded history, a schedule of faults that heals before the end,
// and the checks of SafetyMonitor, liveness and linearizability. Everything random comes
// from the seed, so a seed names a run: the same seed prints the same trace.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/compaction.h"
#include "sim/durable_disk.h"
#include "sim/injected_bug.h"
#include "sim/linearizability.h"
#include "sim/membership_driver.h"
#include "sim/network.h"
#include "sim/safety_monitor.h"
#include "sim/sim_client.h"
#include "sim/sim_node.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

struct FaultConfig {
  bool partitions = true;
  bool crashes = true;
  bool pauses = true;
  Time min_gap = 5 * kTick;  // between two fault injections
  Time max_gap = 40 * kTick;
  Time max_duration = 60 * kTick;  // of a partition or a pause
  Time min_down = kTick;           // a crashed node restarts after [min_down, max_down]
  Time max_down = 40 * kTick;
  double target_leader = 0.5;  // chance a crash or pause hits the current leader
  // Crashes at the moments that test durability and the commit rule hardest: right after
  // a node grants a vote, and right after a leader advances its commit index.
  double crash_after_vote = 0.0;
  double crash_after_commit = 0.0;
  // Cuts a newly elected leader off before its first appends arrive, which leaves logs
  // with diverging uncommitted tails from different terms (the Figure 8 setting).
  double isolate_new_leader = 0.0;
  // The scripted A -> B -> A rewrite of a follower's index while its batches wait to be
  // advanced (rewrite_choreography.h), again and again; needs 5 or more voters. It owns the
  // network: random partitions are off while it runs.
  bool rewrite_choreography = false;
  // Write faults on disks that can fail (the durable disk): a failed fsync or a full disk,
  // after which the node must stop rather than act on the failed write.
  bool disk_faults = false;
};

enum class DiskKind : uint8_t {
  kMemory,   // MemoryDisk: writes durable at once; fast
  kDurable,  // DurableDisk: the real write-ahead log on the fault-injecting file layer
};

struct SimOptions {
  int nodes = 3;
  int clients = 3;
  int keys = 3;
  Time fault_time = 400 * kTick;      // faults and client load; then everything heals
  Time liveness_bound = 200 * kTick;  // after healing: a leader, every op done, logs equal
  NetworkConfig network{.loss = 0.02, .duplicate = 0.02};
  FaultConfig faults;
  DiskLatency disk;
  DiskKind disk_kind = DiskKind::kMemory;
  DurableDiskOptions durable;  // for DiskKind::kDurable
  // Random membership changes; the cluster starts with `nodes` voters plus the spares.
  MembershipConfig membership;
  // Log compaction on every node and lagging followers that need InstallSnapshot.
  CompactionConfig compaction;

  ClientConfig client;  // nodes and keys are filled in from above
  InjectedBug bug = InjectedBug::kNone;
  int election_tick = 10;
  int heartbeat_tick = 1;
  uint64_t max_msg_bytes = 256;  // small messages: more interleavings per entry
  int max_inflight = 4;
  uint64_t linearizability_steps = 2'000'000;
  size_t trace_tail = 60;             // lines printed around a failure
  std::ostream* trace_out = nullptr;  // stream the full trace here
  bool keep_trace = false;            // keep the full trace in the result
};

struct SimStats {
  uint64_t events = 0;
  uint64_t messages = 0;
  uint64_t ops_ok = 0;
  uint64_t ops_failed = 0;
  uint64_t ops_unknown = 0;
  uint64_t faults = 0;
  uint64_t conf_changes = 0;         // membership changes and transfers the leaders accepted
  uint64_t compactions = 0;          // log compactions, over all nodes
  uint64_t snapshots_sent = 0;       // InstallSnapshot messages the leaders sent
  uint64_t snapshots_installed = 0;  // snapshots followers installed from a leader
  uint64_t rewrites_staged = 0;      // rewrite choreographies played to the end
  // Ticks from the crash of a leader until a leader of a newer term emerged.
  std::vector<int> election_ticks;
  uint64_t elections = 0;    // terms in which some node stood as candidate
  uint64_t split_votes = 0;  // of those, terms that ended with no leader
  Linearizable linearizable = Linearizable::kYes;
  uint64_t linearizability_steps = 0;
  Time end = 0;
};

struct SimResult {
  uint64_t seed = 0;
  std::optional<Violation> violation;
  Time at = 0;  // when the violation was detected
  std::string trace_tail;
  std::vector<std::string> trace;  // the full trace, if SimOptions::keep_trace
  SimStats stats;

  bool ok() const { return !violation; }
  // The seed, the broken property and the trace around it.
  std::string report() const;
};

// A fault mix tuned to find bugs quickly: frequent faults aimed at the leader, crashed
// nodes that come back almost at once, one entry per message, more clients and keys that
// collide. The injected-bug tests use it; the real core must pass it too.
SimOptions aggressive_options(int nodes);
// The aggressive mix plus frequent membership changes that favour replacing a majority of
// the voters at once: the setting that exposes membership bugs. The real core passes it.
SimOptions membership_options(int nodes);
// Nodes in the run: the initial voters plus, with membership changes, the spares.
int pool_size(const SimOptions& options);
// The aggressive mix with log compaction every few entries and lagging followers, so that
// InstallSnapshot happens many times per run. The real core passes it.
SimOptions snapshot_options(int nodes);
// The default mix with the rewrite choreography instead of random partitions, crashes and
// pauses (5 nodes or more). The real core passes it.
SimOptions rewrite_options(int nodes);
// Whether the rewrite choreography runs (asked for, or implied by the bug; not with
// membership changes, whose spare nodes it does not know).
bool rewrite_on(const SimOptions& options);
// Whether nodes compact their logs in this run (asked for, or implied by the bug).
bool compaction_on(const SimOptions& options);

SimResult run_simulation(uint64_t seed, const SimOptions& options);

}  // namespace raftkv::sim
