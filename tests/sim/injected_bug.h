// The known bugs the simulator must be able to catch: four switches in the core's
// Config::bugs, and one in the simulator's restart path.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/node.h"

namespace raftkv::sim {

enum class InjectedBug : uint8_t {
  kNone,
  kSkipElectionRestriction,
  kCommitPreviousTerm,
  kTruncateMatchingSuffix,
  kUnconfirmedReads,
  kForgetVoteOnRestart,
};

const char* to_string(InjectedBug bug);
std::optional<InjectedBug> parse_injected_bug(const std::string& name);
std::vector<InjectedBug> all_injected_bugs();  // every bug, without kNone
// Sets the core's switch for `bug` (no-op for bugs that live in the simulator).
void inject(InjectedBug bug, raft::Config& config);

}  // namespace raftkv::sim
