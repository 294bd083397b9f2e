// raftkv::raft::Raft — the implementation behind the public Node (include/raftkv/raft/
// node.h, which documents the API and the durability contract). Internal: only the core,
// its tests (through src/raft/testing.h) and the simulator see this class.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/read_index.h"
#include "raft/tracker.h"
#include "raftkv/raft/conf_change.h"
#include "raftkv/raft/node.h"
#include "raftkv/raft/storage.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

namespace testing {
// Test-only switches that deliberately break the algorithm, so the simulator can prove its
// checks catch each bug. Reached only through src/raft/testing.h, never through Config.
struct InjectedBugs {
  bool skip_election_restriction = false;      // grant votes to candidates with stale logs
  bool commit_previous_term = false;           // count replicas for old-term entries
  bool truncate_matching_suffix = false;       // truncate even when entries match
  bool unconfirmed_reads = false;              // release reads without a heartbeat round
  bool skip_joint_consensus = false;           // switch voters in one step, no C(old,new)
  bool allow_concurrent_conf_changes = false;  // accept a change while one is in flight
  bool install_stale_snapshot = false;         // install a snapshot at or below the commit index
  bool ignore_accepted_term = false;           // mark a batch durable by (index, term) alone
};
}  // namespace testing

class Raft {
 public:
  // `config` must be valid (Node checks it); `storage` must outlive the node.
  Raft(const Config& config, Storage* storage, const testing::InjectedBugs& bugs = {});

  // The operations of Node, which documents them (include/raftkv/raft/node.h).
  void tick();
  void step(const Message& m);
  void campaign();
  Result<Proposed, ProposeError> propose(std::string data);
  Result<void, ProposeError> read_index(std::string context);
  Result<Proposed, ProposeError> propose_conf_change(const ConfState& target, std::string context);
  Result<void, ProposeError> transfer_leadership(NodeId target);
  void report_unreachable(NodeId id);
  ConfState conf_at(Index index) const;
  bool has_ready() const;
  Ready ready();
  void advance(const Ready& rd);
  std::vector<Message> take_messages();

  Status status() const;
  Role role() const { return role_; }
  Term term() const { return term_; }
  NodeId leader() const { return lead_; }
  NodeId id() const { return id_; }
  const RaftLog& log() const { return log_; }
  const ProgressTracker& tracker() const { return tracker_; }
  uint64_t dropped_messages() const { return dropped_messages_; }

 private:
  friend class NodeTestPeer;

  void become_follower(Term term, NodeId lead);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void reset_randomized_election_timeout();
  void start_election(bool pre_vote, bool transfer = false);
  void poll_votes();
  bool past_election_timeout() const { return election_elapsed_ >= randomized_timeout_; }

  void tick_election();
  void tick_heartbeat();

  void step_leader(const Message& m);
  void step_candidate(const Message& m);
  void step_follower(const Message& m);
  void handle_vote_request(const Message& m);
  void handle_append(const Message& m);
  void handle_heartbeat(const Message& m);
  void handle_snapshot(const Message& m);
  void handle_append_response(const Message& m, Progress& pr);
  void handle_heartbeat_response(const Message& m, Progress& pr);
  void handle_read_index_request(const Message& m);
  // A read of this leader's (requester kNoNode) or one a follower forwarded.
  void add_read(std::string context, NodeId requester);
  // Counts one tick toward the election timeout. Saturates: a node nobody contacts (a
  // removed member, a learner cut off) ticks forever.
  void count_election_tick() {
    if (election_elapsed_ < std::numeric_limits<int>::max()) ++election_elapsed_;
  }

  void send(Message m);
  bool send_append(NodeId to, bool send_if_empty = true);
  bool send_snapshot(NodeId to, Progress& pr);
  void send_heartbeat(NodeId to, uint64_t read_seq);
  void broadcast_append();
  void broadcast_heartbeat(uint64_t read_seq);
  void append_entry(EntryType type, std::string data);
  bool maybe_commit();
  bool committed_entry_in_current_term() const;
  void release_reads(std::vector<PendingRead> reads);
  void load_conf_history();
  void record_conf_entries(const std::vector<Entry>& entries, Index from);
  void refresh_conf();
  const ConfChange* latest_conf_change() const;
  void maybe_finish_conf_change();
  void send_timeout_now(NodeId to);
  bool promotable() const;
  void flush_broadcasts();
  Index applied_after(const std::vector<Entry>& committed) const;

  NodeId id_;
  Config config_;
  testing::InjectedBugs bugs_;
  Storage* storage_;
  RaftLog log_;
  ProgressTracker tracker_;
  ReadIndexTracker reads_;
  std::mt19937_64 rng_;

  Role role_ = Role::kFollower;
  Term term_ = 0;
  NodeId vote_ = kNoNode;
  NodeId lead_ = kNoNode;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_timeout_ = 0;
  bool append_pending_ = false;  // proposals not yet broadcast; flushed by ready()

  // Membership: the configuration the log starts from (snapshot / bootstrap) and every
  // configuration entry in the log after it. The one in effect is the last appended.
  ConfState base_conf_;
  std::map<Index, ConfChange> conf_history_;
  Index pending_conf_index_ = 0;  // last configuration entry the leader appended
  NodeId lead_transferee_ = kNoNode;
  int transfer_elapsed_ = 0;
  uint64_t dropped_messages_ = 0;

  std::vector<Message> msgs_;
  std::vector<Message> msgs_after_persist_;
  std::vector<ReadState> read_states_;  // confirmed, waiting for applied >= index
  struct DeferredRead {
    std::string context;
    NodeId requester = kNoNode;
  };
  std::vector<DeferredRead> deferred_reads_;  // waiting for a commit in the leader's term
  HardState prev_hard_state_;
  // A candidate's vote for itself, not counted until the batch carrying it is advanced.
  bool self_vote_pending_ = false;
};

}  // namespace raftkv::raft
