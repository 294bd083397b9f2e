// What simulated clients and nodes say to each other. Client traffic is not subject to
// partitions (clients reach every node), only to delay, loss and the node being down.
#pragma once

#include <cstdint>
#include <string>

#include "raft/types.h"
#include "sim/kv_command.h"

namespace raftkv::sim {

struct ClientRequest {
  uint64_t op_id = 0;    // the operation, unique in the run
  uint64_t attempt = 0;  // which send of it this is
  KvCommand command;
};

struct ClientReply {
  enum class Kind : uint8_t {
    kOk,         // done; `result` holds the outcome or the value read
    kNotLeader,  // refused, nothing proposed; `leader` is the node's guess (or kNoNode)
    kLost,       // proposed, but another entry committed at its index: never applied
  };
  uint64_t client = 0;
  uint64_t op_id = 0;
  uint64_t attempt = 0;
  Kind kind = Kind::kOk;
  std::string result;
  raft::NodeId leader = raft::kNoNode;
};

}  // namespace raftkv::sim
