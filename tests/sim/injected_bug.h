// The known bugs the simulator must be able to catch: switches in the core's Config::bugs,
// one in the simulator's restart path, and one in the durable disk (durable_disk.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/node.h"
#include "raft/testing.h"

namespace raftkv::sim {

enum class InjectedBug : uint8_t {
  kNone,
  kSkipElectionRestriction,
  kCommitPreviousTerm,
  kTruncateMatchingSuffix,
  kUnconfirmedReads,
  kForgetVoteOnRestart,
  kSkipFsync,  // the durable disk's syncs do nothing (implies the durable disk)
  // Membership bugs in the core (imply membership changes in the run).
  kSkipJointConsensus,
  kAllowConcurrentConfChanges,
  // A snapshot bug in the core (implies log compaction in the run).
  kInstallStaleSnapshot,
  // The core takes a batch as persisted by its last (index, term) alone, without the
  // accepted term (implies the rewrite choreography, which needs 5 or more voters).
  kIgnoreAcceptedTerm,
};

const char* to_string(InjectedBug bug);
std::optional<InjectedBug> parse_injected_bug(const std::string& name);
std::vector<InjectedBug> all_injected_bugs();  // every bug, without kNone
// Sets the core's switch for `bug` (no-op for bugs that live in the simulator).
void inject(InjectedBug bug, raft::testing::InjectedBugs& bugs);
// True for the bugs that only membership changes can expose.
bool is_membership_bug(InjectedBug bug);
// True for the bugs that only log compaction and InstallSnapshot can expose.
bool is_snapshot_bug(InjectedBug bug);

}  // namespace raftkv::sim
