#include "sim/injected_bug.h"

namespace raftkv::sim {

const char* to_string(InjectedBug bug) {
  switch (bug) {
    case InjectedBug::kNone:
      return "none";
    case InjectedBug::kSkipElectionRestriction:
      return "skip_election_restriction";
    case InjectedBug::kCommitPreviousTerm:
      return "commit_previous_term";
    case InjectedBug::kTruncateMatchingSuffix:
      return "truncate_matching_suffix";
    case InjectedBug::kUnconfirmedReads:
      return "unconfirmed_reads";
    case InjectedBug::kForgetVoteOnRestart:
      return "forget_vote_on_restart";
    case InjectedBug::kSkipFsync:
      return "skip_fsync";
    case InjectedBug::kSkipJointConsensus:
      return "skip_joint_consensus";
    case InjectedBug::kAllowConcurrentConfChanges:
      return "allow_concurrent_conf_changes";
    case InjectedBug::kInstallStaleSnapshot:
      return "install_stale_snapshot";
    case InjectedBug::kIgnoreAcceptedTerm:
      return "ignore_accepted_term";
  }
  return "?";
}

std::vector<InjectedBug> all_injected_bugs() {
  return {InjectedBug::kSkipElectionRestriction, InjectedBug::kCommitPreviousTerm,
          InjectedBug::kTruncateMatchingSuffix,  InjectedBug::kUnconfirmedReads,
          InjectedBug::kForgetVoteOnRestart,     InjectedBug::kSkipFsync,
          InjectedBug::kSkipJointConsensus,      InjectedBug::kAllowConcurrentConfChanges,
          InjectedBug::kInstallStaleSnapshot,    InjectedBug::kIgnoreAcceptedTerm};
}

bool is_snapshot_bug(InjectedBug bug) {
  return bug == InjectedBug::kInstallStaleSnapshot;
}

bool is_membership_bug(InjectedBug bug) {
  return bug == InjectedBug::kSkipJointConsensus || bug == InjectedBug::kAllowConcurrentConfChanges;
}

std::optional<InjectedBug> parse_injected_bug(const std::string& name) {
  if (name == "none") return InjectedBug::kNone;
  for (InjectedBug bug : all_injected_bugs()) {
    if (name == to_string(bug)) return bug;
  }
  return std::nullopt;
}

void inject(InjectedBug bug, raft::testing::InjectedBugs& bugs) {
  switch (bug) {
    case InjectedBug::kSkipElectionRestriction:
      bugs.skip_election_restriction = true;
      break;
    case InjectedBug::kCommitPreviousTerm:
      bugs.commit_previous_term = true;
      break;
    case InjectedBug::kTruncateMatchingSuffix:
      bugs.truncate_matching_suffix = true;
      break;
    case InjectedBug::kUnconfirmedReads:
      bugs.unconfirmed_reads = true;
      break;
    case InjectedBug::kSkipJointConsensus:
      bugs.skip_joint_consensus = true;
      break;
    case InjectedBug::kAllowConcurrentConfChanges:
      bugs.allow_concurrent_conf_changes = true;
      break;
    case InjectedBug::kInstallStaleSnapshot:
      bugs.install_stale_snapshot = true;
      break;
    case InjectedBug::kIgnoreAcceptedTerm:
      bugs.ignore_accepted_term = true;
      break;
    case InjectedBug::kNone:
    case InjectedBug::kForgetVoteOnRestart:
    case InjectedBug::kSkipFsync:
      break;
  }
}

}  // namespace raftkv::sim
