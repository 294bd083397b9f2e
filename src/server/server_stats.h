// Counters reported by INFO (sections clients, stats, commandstats, errorstats,
// latencystats), SLOWLOG and /metrics.
#pragma once

#include <cstdint>

#include "server/command_counters.h"
#include "server/command_stats.h"
#include "server/slow_log.h"

namespace raftkv::server {

struct ServerStats {
  uint64_t connected_clients = 0;
  uint64_t blocked_clients = 0;  // waiting in BLPOP, XREAD BLOCK, ... (INFO clients)
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;  // refused at accept: maxclients or protected mode
  uint64_t total_commands = 0;
  uint64_t writes_ok = 0;
  uint64_t reads_ok = 0;
  uint64_t redirects = 0;
  uint64_t errors = 0;
  uint64_t unknown_outcomes = 0;
  // Proposed writes answered with an error (a proposal that never committed, or whose
  // outcome is unknown): raftkv_server_proposals_failed_total.
  uint64_t proposals_failed = 0;
  // Changes to a new known leader (etcd's leader_changes_seen), polled every tick.
  uint64_t leader_changes = 0;
  // Replies by command and result: raftkv_commands_total, INFO commandstats and
  // latencystats (ReplySlot::account_into).
  CommandCounters commands;
  ErrorCounts error_counts;  // INFO errorstats
  SlowLog slowlog;           // SLOWLOG RESET's, not CONFIG RESETSTAT's (as in Redis)
  // total_connections at the last CONFIG RESETSTAT: INFO counts from there, /metrics
  // (a counter that must only grow) from the start.
  uint64_t total_connections_at_reset = 0;

  // CONFIG RESETSTAT: the counters Redis resets (INFO stats, commandstats, errorstats,
  // latencystats). Gauges (connected, blocked clients) and /metrics counters stay.
  void reset_info_stats() {
    total_connections_at_reset = total_connections;
    rejected_connections = total_commands = writes_ok = reads_ok = redirects = errors =
        unknown_outcomes = 0;
    commands.reset_info_stats();
    error_counts.reset();
  }
};

}  // namespace raftkv::server
