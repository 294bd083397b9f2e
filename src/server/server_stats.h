// Counters reported by INFO (sections clients and stats).
#pragma once

#include <cstdint>

namespace raftkv::server {

struct ServerStats {
  uint64_t connected_clients = 0;
  uint64_t total_connections = 0;
  uint64_t rejected_connections = 0;  // refused at accept: maxclients or protected mode
  uint64_t total_commands = 0;
  uint64_t writes_ok = 0;
  uint64_t reads_ok = 0;
  uint64_t redirects = 0;
  uint64_t errors = 0;
  uint64_t unknown_outcomes = 0;
};

}  // namespace raftkv::server
