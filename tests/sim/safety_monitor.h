// Raft's safety properties, checked continuously while a run goes on and once more at its
// end. The monitor only observes: nodes report what they persist and apply, and after every
// simulator event it looks at each running node's role, term and commit index.
//
//   election safety      at most one leader per term
//   log matching         an entry with a given index and term has the same command and
//                        the same predecessor everywhere (so equal entries imply equal
//                        prefixes); checked pairwise on every log at the end
//   leader completeness  a leader of term T holds every entry committed in a term < T
//   state-machine safety no two nodes commit or apply different entries at one index; each
//                        node applies its log in order, without gaps, and a snapshot it
//                        installs is of a committed entry and never rewinds what it applied
//   commit monotonicity  a node's commit index never decreases while it runs, and after a
//                        restart never falls below the commit index it had persisted
//   state agreement      nodes that applied the same index hold the same state (also
//                        when one of them got there by restoring a snapshot)
//   read safety          a read is served only once its index is applied
//
// No check counts a quorum itself: what is committed is learned from the nodes' own commit
// indexes, and leader completeness bounds the commit term by the terms of nodes that knew
// the commit. So the checks hold unchanged, and unweakened, while membership changes move
// the quorums; nodes outside the configuration are observed like any other.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft/node.h"
#include "raft/testing.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

struct Violation {
  std::string property;
  std::string detail;
};

class SafetyMonitor {
 public:
  explicit SafetyMonitor(int nodes)
      : last_commit_(static_cast<size_t>(nodes) + 1, 0),
        applied_by_(static_cast<size_t>(nodes) + 1, 0) {}

  // After every event: roles, terms and commit indexes of the running nodes (nullptr: down).
  void observe(const std::vector<const raft::Node*>& nodes);
  void on_persisted(raft::NodeId id, const std::vector<raft::Entry>& entries,
                    const raft::Storage& storage, const raft::Snapshot* snapshot = nullptr);
  void on_applied(raft::NodeId id, const raft::Entry& entry, uint64_t digest);
  void on_read_served(raft::NodeId id, const raft::ReadState& rs, raft::Index applied);
  void on_restart(raft::NodeId id, const raft::HardState& persisted);
  // A node's state machine was replaced by a snapshot's image (installed from the leader,
  // or its own disk's at a restart); `digest` is the restored state's.
  void on_snapshot_restored(raft::NodeId id, const raft::SnapshotMeta& meta, uint64_t digest,
                            bool installed);
  // Every stored log against every other, and each against the committed entries.
  void final_check(const std::vector<const raft::Storage*>& logs);

  bool failed() const { return violation_.has_value(); }
  const std::optional<Violation>& violation() const { return violation_; }

  // Terms in which some node became a candidate, and terms that had a leader: their
  // difference is the split (or otherwise failed) elections.
  const std::set<raft::Term>& candidate_terms() const { return candidate_terms_; }
  const std::map<raft::Term, raft::NodeId>& leaders() const { return leaders_; }

 private:
  struct Committed {
    raft::Term term = 0;
    // An upper bound on the term in which the entry was committed: the smallest term of a
    // node seen knowing it committed. Leaders of later terms must hold it.
    raft::Term commit_term_bound = 0;
  };
  struct Stored {
    size_t data_hash = 0;
    raft::Term prev_term = 0;
  };

  void fail(std::string property, std::string detail);
  void record_commit(raft::NodeId id, const raft::Node& node, raft::Index index);
  void check_leader_holds(raft::NodeId id, const raft::Node& node, raft::Index index,
                          const Committed& c);

  std::optional<Violation> violation_;
  std::map<raft::Term, raft::NodeId> leaders_;
  std::set<raft::Term> candidate_terms_;
  std::vector<raft::Index> last_commit_;  // per node, this incarnation
  std::vector<raft::Index> applied_by_;   // per node, this incarnation: last applied index
  std::map<raft::Index, Committed> committed_;
  std::map<std::pair<raft::Index, raft::Term>, Stored> stored_;
  std::map<raft::Index, std::pair<raft::Term, size_t>> applied_;  // term, data hash
  std::map<raft::Index, uint64_t> state_at_;                      // digest after index
  std::vector<const raft::Node*> leaders_now_;
};

}  // namespace raftkv::sim
