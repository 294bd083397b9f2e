// Membership planning as pure functions: which configuration a change request leads to,
// and the transitions into and out of the joint configuration C(old,new) (Raft §6). No node
// state: the node decides *when* a change may be proposed (one at a time, after a commit
// in its term), these decide *what* it proposes. Tested by tests/raft/testdata scripts.
#pragma once

#include "raftkv/raft/node.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft::membership {

// The configuration to append for a request to end at `target` (voters and learners;
// voters_outgoing must be empty) from `current`, which must not be joint. Changing voters
// enters the joint configuration C(old,new) = voters `target.voters` && `current.voters`;
// changing only learners takes one step. Refused with kInvalidConf: no voters, node id 0,
// an outgoing set in the target, or a learner that is or was a voter (no direct demotion).
// `skip_joint` is the simulator's injected bug (switch voters in one step).
Result<ConfState, ProposeError> enter(const ConfState& current, const ConfState& target,
                                      bool skip_joint = false);

// The configuration that leaves a committed joint configuration: the incoming voters and
// the learners. `joint` must be joint.
ConfState leave(const ConfState& joint);

}  // namespace raftkv::raft::membership
