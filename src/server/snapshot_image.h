// The state-machine image inside a raftkv snapshot: the key-value state (kv::StateMachine's
// serialize(), which includes the client sessions) and the member directory (node id ->
// client address, also replicated through the log, so it must be restored with the keys).
//
// Format: "RKVIMG1\0" | u32 member count | per member: u64 id, u32 length, address |
// u64 kv length | kv image | u32 checksum32 (storage/checksum.h) of everything before it.
// Little-endian. The kv image carries its own checksum as well.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::server {

struct SnapshotImage {
  std::string_view kv;  // points into the decoded bytes
  std::map<raft::NodeId, std::string> members;
};

std::string encode_snapshot_image(std::string_view kv_image,
                                  const std::map<raft::NodeId, std::string>& members);
// Empty on success; otherwise why the bytes are not a valid image (nothing is trusted then).
std::string decode_snapshot_image(std::string_view data, SnapshotImage* out);

}  // namespace raftkv::server
