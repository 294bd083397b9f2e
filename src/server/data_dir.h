// The node's data directory: who it belongs to (so a directory is never used by another
// node id or cluster, which would silently mix two logs) and where the log lives.
#pragma once

#include <string>

#include "raft/types.h"
#include "storage/file_system.h"

namespace raftkv::server {

// Creates `dir` if needed and records (cluster id, node id) in it on first use; on later
// uses checks them. Returns an empty string on success, else why the node must not start.
std::string claim_data_dir(storage::FileSystem* fs, const std::string& dir,
                           const std::string& cluster_id, raft::NodeId id);

// Who a data directory belongs to, as claim_data_dir recorded it. Empty on success, else why
// not (no such directory, or not claimed).
std::string read_data_dir_identity(storage::FileSystem* fs, const std::string& dir,
                                   std::string* cluster_id, raft::NodeId* id);

// Where the log, hard state and snapshots live inside a data directory.
inline std::string raft_log_dir(const std::string& data_dir) {
  return data_dir + "/raft";
}

}  // namespace raftkv::server
