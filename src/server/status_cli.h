// `raftkv status`: one row per member, as `etcdctl endpoint status` shows etcd's. Built on
// what every node already answers over the Redis protocol: INFO (role, term, leader,
// indexes, log, keys, memory) and RAFT MEMBERS (addresses; on the leader, each member's
// replication progress, from which the lag column comes).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace raftkv::server {

struct StatusRow {
  std::string endpoint;  // the client address asked
  std::string error;     // set when the node did not answer; the rest is then unknown
  uint64_t id = 0;
  std::string peer;  // its peer address
  std::string role;
  uint64_t term = 0;
  uint64_t leader = 0;
  uint64_t commit = 0;
  uint64_t applied = 0;
  uint64_t log_entries = 0;  // in the log since the last compaction
  uint64_t keys = 0;
  uint64_t used_memory = 0;
  // Entries this member's log is behind the leader's, by the leader's replication
  // progress; known only when the leader is among the endpoints.
  std::optional<uint64_t> lag;
};

// INFO's "key:value" lines (section headers and blank lines skipped).
std::map<std::string, std::string> parse_info(const std::string& text);

// RAFT MEMBERS' lines "id=1 role=leader peer=... client=... [match=N state=...]", by id.
std::map<uint64_t, std::map<std::string, std::string>> parse_members(const std::string& text);

std::string render_status_table(const std::vector<StatusRow>& rows);
std::string render_status_json(const std::vector<StatusRow>& rows);

// The command; returns the exit code (1 if any endpoint did not answer, as etcdctl).
int run_status_command(int argc, const char* const* argv);

}  // namespace raftkv::server
