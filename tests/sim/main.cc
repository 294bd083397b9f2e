// raftkv-sim: explores seeds of the cluster simulator, or replays one with its full trace.
//
//   raftkv-sim --seeds 1000 --nodes 5                 explore seeds 1..1000
//   raftkv-sim --seed 42 --trace                      replay seed 42, printing every event
//   raftkv-sim --seeds 200 --bug commit_previous_term show that the checks catch a bug
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "sim/node_sim.h"
#include "sim/run_summary.h"
#include "sim/simulator.h"

namespace {

// --whole-node: the server's own node (driver, request path, state machine) under faults.
int run_whole_node(uint64_t first_seed, uint64_t seeds, bool keep_going, bool replay,
                   raftkv::sim::NodeSimOptions options) {
  auto start = std::chrono::steady_clock::now();
  uint64_t failed = 0, ok_ops = 0, unknown_ops = 0, failed_ops = 0, events = 0;
  uint64_t snapshots = 0, installs = 0, changes_sent = 0, changes_done = 0;
  for (uint64_t s = first_seed; s < first_seed + seeds; ++s) {
    raftkv::sim::NodeSimResult r = raftkv::sim::run_node_simulation(s, options);
    ok_ops += r.ops_ok;
    unknown_ops += r.ops_unknown;
    failed_ops += r.ops_failed;
    events += r.events;
    snapshots += r.snapshots_taken;
    installs += r.snapshots_installed;
    changes_sent += r.changes_sent;
    changes_done += r.changes_done;
    if (!r.ok()) {
      ++failed;
      std::cout << r.report() << std::flush;
      if (!keep_going) break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "whole-node: " << seeds << " seeds from " << first_seed << ", " << failed
            << " failed";
  if (!replay)
    std::cout << ", " << seconds << " s, " << (seconds > 0 ? seeds / seconds : 0) << " seeds/s";
  std::cout << "\noperations: " << ok_ops << " ok, " << failed_ops << " failed, " << unknown_ops
            << " unknown; " << events << " events\nsnapshots: " << snapshots << " taken, "
            << installs << " installed from a leader\n";
  if (options.membership) {
    std::cout << "membership: " << changes_sent << " RAFT changes sent, " << changes_done
              << " answered +OK\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  using raftkv::sim::kTick;
  CLI::App app{"Deterministic Raft cluster simulator"};
  raftkv::sim::SimOptions options;
  // The profile is the base that every other option refines, so it is read first.
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--aggressive") options = raftkv::sim::aggressive_options(3);
    if (std::string(argv[i]) == "--membership-mix") options = raftkv::sim::membership_options(3);
    if (std::string(argv[i]) == "--snapshot-mix") options = raftkv::sim::snapshot_options(3);
  }
  bool aggressive = false;  // applied above; declared so that CLI11 accepts and documents it
  app.add_flag("--aggressive", aggressive,
               "Start from the bug-hunting fault mix; other options refine it");
  app.add_flag("--membership-mix", aggressive,
               "Start from the bug-hunting mix with frequent membership changes");
  app.add_option("--membership", options.membership.enabled,
                 "Random membership changes and leadership transfers (on/off)");
  app.add_option("--spares", options.membership.spare_nodes,
                 "Nodes outside the initial cluster that changes can add")
      ->check(CLI::Range(0, 8));
  app.add_flag("--snapshot-mix", aggressive,
               "Start from the bug-hunting mix with log compaction and lagging followers");
  auto* compaction_flag =
      app.add_option("--compaction", options.compaction.enabled,
                     "Nodes compact their logs every few entries; followers lag (on/off; "
                     "--whole-node: snapshots, on by default)");
  auto* compact_every_flag =
      app.add_option("--compact-every", options.compaction.max_interval,
                     "Most entries applied between two compactions of a node")
          ->check(CLI::Range(1, 1000000));
  uint64_t seeds = 100;
  uint64_t first_seed = 1;
  std::optional<uint64_t> seed;
  bool trace = false;
  bool keep_going = false;
  std::string bug = "none";
  uint64_t fault_ticks = options.fault_time / kTick;
  uint64_t liveness_ticks = options.liveness_bound / kTick;
  app.add_option("--seeds", seeds, "How many seeds to explore");
  app.add_option("--first-seed", first_seed, "First seed to explore");
  app.add_option("--seed", seed, "Run this one seed only");
  app.add_flag("--trace", trace, "Print every event of the run (use with --seed)");
  app.add_flag("--keep-going", keep_going, "Keep exploring after a failing seed");
  app.add_option("--nodes", options.nodes, "Cluster size")->check(CLI::Range(1, 9));
  app.add_option("--clients", options.clients, "Simulated clients")->check(CLI::Range(0, 32));
  app.add_option("--keys", options.keys, "Distinct keys the clients use")
      ->check(CLI::Range(1, 1000));
  app.add_option("--ticks", fault_ticks, "Ticks of faults and load before everything heals");
  app.add_option("--liveness-ticks", liveness_ticks, "Ticks allowed to recover after healing");
  app.add_option("--loss", options.network.loss, "Message loss probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--isolate-new-leader", options.faults.isolate_new_leader,
                 "Probability that a newly elected leader is isolated at once (healing the "
                 "partition before it)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--rewrite-choreography", options.faults.rewrite_choreography,
               "Play the scripted A -> B -> A rewrite of a follower's index while its batches "
               "wait to be advanced, again and again (5+ nodes; replaces random partitions)");
  app.add_option("--dup", options.network.duplicate, "Message duplication probability")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--partitions", options.faults.partitions, "Inject partitions (on/off)");
  app.add_option("--crashes", options.faults.crashes, "Inject crashes and restarts (on/off)");
  app.add_option("--pauses", options.faults.pauses, "Inject paused nodes (on/off)");
  std::string disk = "memory";
  app.add_option("--disk", disk,
                 "Node disks: memory (fast), or durable (the real write-ahead log on the "
                 "fault-injecting file layer; crashes lose or tear unsynced writes)")
      ->check(CLI::IsMember({"memory", "durable"}));
  app.add_option("--disk-faults", options.faults.disk_faults,
                 "Inject failed fsyncs and full disks (on/off; durable disk only)");
  app.add_option("--bug", bug,
                 "Inject a known bug: none, skip_election_restriction, "
                 "commit_previous_term, truncate_matching_suffix, "
                 "unconfirmed_reads, forget_vote_on_restart, skip_fsync, "
                 "skip_joint_consensus, allow_concurrent_conf_changes, install_stale_snapshot, "
                 "ignore_accepted_term; with --whole-node: ignore_write_floor, "
                 "expiry_on_local_clock, exec_not_atomic, ignore_watch, pop_without_log, "
                 "prune_without_configuration (with --membership on)");
  app.add_option("--lazy-advance", options.disk.lazy_advance,
                 "Probability that a durable batch is acknowledged at once but advanced "
                 "later, while the node goes on stepping")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--advance-delay", options.disk.max_advance_delay,
                 "With --lazy-advance: the longest delay of an advance (time units)");
  bool whole_node = false;
  raftkv::sim::NodeSimOptions node_options;
  app.add_flag("--whole-node", whole_node,
               "Simulate the server's own node (RaftDriver, ClientService, kv state machine) "
               "with pipelining clients, disk stalls and clock steps");
  app.add_option("--window", node_options.window, "--whole-node: commands in flight per client");
  CLI11_PARSE(app, argc, argv);
  options.compaction.min_interval =
      std::min(options.compaction.min_interval, options.compaction.max_interval);

  auto parsed = raftkv::sim::parse_injected_bug(bug);
  const bool node_bug = bug == "ignore_write_floor" || bug == "expiry_on_local_clock" ||
                        bug == "exec_not_atomic" || bug == "ignore_watch" ||
                        bug == "pop_without_log" || bug == "prune_without_configuration";
  if (!parsed && !(whole_node && node_bug)) {
    std::cerr << "unknown bug '" << bug << "'\n";
    return 2;
  }
  if (parsed) options.bug = *parsed;
  options.disk_kind =
      disk == "durable" ? raftkv::sim::DiskKind::kDurable : raftkv::sim::DiskKind::kMemory;
  options.fault_time = fault_ticks * kTick;
  options.liveness_bound = liveness_ticks * kTick;
  if (seed) {
    first_seed = *seed;
    seeds = 1;
  }
  if (trace) options.trace_out = &std::cout;

  if (whole_node) {
    node_options.nodes = options.nodes;
    node_options.clients = options.clients;
    node_options.keys = options.keys;
    node_options.fault_time = options.fault_time;
    node_options.network.loss = options.network.loss;
    node_options.network.duplicate = options.network.duplicate;
    node_options.trace_out = options.trace_out;
    node_options.node.durable_disk = options.disk_kind == raftkv::sim::DiskKind::kDurable;
    // Snapshots are on unless --compaction off; --compact-every bounds their interval.
    if (compaction_flag->count() > 0 && !options.compaction.enabled)
      node_options.snapshot_every_max = 0;
    if (compact_every_flag->count() > 0)
      node_options.snapshot_every_max = options.compaction.max_interval;
    if (bug == "ignore_write_floor") node_options.node.bugs.ignore_write_floor = true;
    if (bug == "expiry_on_local_clock") node_options.node.bugs.expiry_on_local_clock = true;
    if (bug == "exec_not_atomic") node_options.node.bugs.exec_not_atomic = true;
    if (bug == "ignore_watch") node_options.node.bugs.ignore_watch = true;
    if (bug == "pop_without_log") node_options.node.bugs.pop_without_log = true;
    if (bug == "skip_fsync") node_options.node.skip_fsync = true;
    if (bug == "prune_without_configuration")
      node_options.node.membership_bugs.prune_without_configuration = true;
    // --membership on: spare nodes join and an operator sends RAFT changes.
    node_options.membership = options.membership.enabled;
    node_options.spare_nodes = options.membership.spare_nodes;
    return run_whole_node(first_seed, seeds, keep_going, seed.has_value(), node_options);
  }
  if (raftkv::sim::pool_size(options) > 16) {
    std::cerr << "--nodes plus --spares must be at most 16\n";
    return 2;
  }
  raftkv::sim::RunSummary summary;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t s = first_seed; s < first_seed + seeds; ++s) {
    raftkv::sim::SimResult r = raftkv::sim::run_simulation(s, options);
    summary.add(r);
    if (!r.ok()) {
      std::cout << r.report() << std::flush;
      if (!keep_going) break;
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // A replay prints no wall-clock figures, so that its whole output is reproducible.
  std::cout << summary.describe(seed ? 0 : seconds);
  return summary.failures() == 0 ? 0 : 1;
}
