// Majority and joint-majority arithmetic over a configuration, independent of how the
// per-node facts (match indexes, votes) are tracked.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "raftkv/raft/types.h"

namespace raftkv::raft {

enum class VoteResult : uint8_t { kPending, kWon, kLost };

// Largest index acknowledged by a majority of `voters`; `acked` gives each voter's index.
// An empty voter set imposes no constraint (returns the maximum index).
Index majority_committed(const std::vector<NodeId>& voters,
                         const std::function<Index(NodeId)>& acked);

// Outcome of an election among `voters`; `vote` gives true/false/nothing (not yet answered).
VoteResult majority_vote(const std::vector<NodeId>& voters,
                         const std::function<std::optional<bool>(NodeId)>& vote);

// Joint configuration: both the incoming and (when non-empty) the outgoing voter sets.
Index joint_committed(const ConfState& conf, const std::function<Index(NodeId)>& acked);
VoteResult joint_vote(const ConfState& conf,
                      const std::function<std::optional<bool>(NodeId)>& vote);

}  // namespace raftkv::raft
