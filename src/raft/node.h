// raftkv::raft::Node — the Raft consensus core as a deterministic state machine.
//
// The node owns no threads, sockets, files or clocks. Its caller drives it:
//   tick()            — one unit of logical time has passed (election/heartbeat timers)
//   step(message)     — a message arrived from a peer
//   propose(data)     — append a command to the replicated log (leader only)
//   read_index(ctx)   — ask for a linearizable read point (leader only)
// and then collects the resulting work with ready() and acknowledges it with advance().
//
// THE DURABILITY CONTRACT. For each Ready batch the caller must, in this order:
//   1. send `messages` at any time (they depend on nothing unpersisted: they are the
//      leader's replication traffic, which the paper allows to run in parallel with the
//      leader's own disk write);
//   2. durably store `snapshot` (if any), then `entries` (overwriting any stored entries at
//      or after entries.front().index), then `hard_state` (if any) — fsync before step 3;
//   3. only then send `messages_after_persist` (votes and vote requests depend on the
//      persisted term and vote; a follower's append acknowledgement promises the entries
//      are durable);
//   4. apply `committed_entries` to the state machine in order (they are always already
//      stable locally), and serve `read_states` (each is safe: applied >= its index);
//   5. call advance(ready). Only then does the leader count its own copy of the entries
//      toward the commit majority, so an entry is never committed on an unsynced disk.
// Several batches may be in flight: ready() may be called again before the previous
// batch's advance(), and each new batch carries only what the earlier ones did not (an
// entry overwritten by a new leader is handed out again). What a driver may then do,
// exactly:
//   - persist batches in the order ready() returned them (batch k+1's writes start only
//     after batch k's; merging several into one write + fsync is fine);
//   - send a batch's messages_after_persist as soon as it and every earlier batch are
//     durable — before or after advance() of the earlier ones — and keep calling step(),
//     tick(), propose() and ready() meanwhile;
//   - apply committed_entries batch by batch in order (they may be applied before the
//     batch's own entries are durable: committed entries are always stable already);
//   - call advance() once per batch, in the order returned, only after the batch is
//     durable and applied. Nothing else is required: the node tolerates any interleaving
//     of step() with these (Ready::accepted_term tells advance() whether the batch's
//     entries are still the log's, so an index overwritten and re-appended while the batch
//     was on disk is handed out again instead of being taken as persisted).
// A batch holding a snapshot should be finished before the next is taken: its
// committed_entries follow the snapshot. While batches are being persisted the node keeps
// running: take_messages() hands out the messages that may leave at once (heartbeats,
// appends, heartbeat answers), so a slow disk never delays heartbeats into an election.
// advance() reads of rd.entries only the last entry's index and term, and
// rd.accepted_term: a driver may move the entries out to its storage and keep just those.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "raft/conf_change.h"
#include "raft/progress.h"
#include "raft/raft_log.h"
#include "raft/read_index.h"
#include "raft/storage.h"
#include "raft/tracker.h"
#include "raft/types.h"

namespace raftkv::raft {

struct Config {
  NodeId id = kNoNode;
  // An election timeout is drawn uniformly from [election_tick, 2*election_tick) ticks.
  int election_tick = 10;
  // A leader sends heartbeats every heartbeat_tick ticks; must be < election_tick.
  int heartbeat_tick = 1;
  // Last index already applied to the state machine (when restarting with a state
  // machine that kept its state); 0 applies the whole committed log again.
  Index applied = 0;
  // Upper bound on the entry bytes in one AppendEntries message (at least one entry is
  // always sent), and on the bytes of committed entries handed out in one Ready.
  uint64_t max_size_per_msg = 1 << 20;
  uint64_t max_committed_size_per_ready = 16 << 20;
  // Most AppendEntries messages in flight to one follower in the replicate state.
  int max_inflight_msgs = 256;
  // Pre-election round that changes no state, so a node that cannot win (for example one
  // rejoining from a partition) never raises the cluster's term.
  bool pre_vote = true;
  // A leader that has not heard from a quorum within an election timeout steps down; a
  // follower that heard from a leader within the timeout ignores vote requests.
  bool check_quorum = true;
  // Seed of the node's random generator (election timeouts). Same seed, same behaviour.
  uint64_t random_seed = 1;
  // Test-only switches that deliberately break the algorithm, so the simulator can prove
  // its checks catch each bug. Never set outside tests.
  struct InjectedBugs {
    bool skip_election_restriction = false;      // grant votes to candidates with stale logs
    bool commit_previous_term = false;           // count replicas for old-term entries
    bool truncate_matching_suffix = false;       // truncate even when entries match
    bool unconfirmed_reads = false;              // release reads without a heartbeat round
    bool skip_joint_consensus = false;           // switch voters in one step, no C(old,new)
    bool allow_concurrent_conf_changes = false;  // accept a change while one is in flight
    bool install_stale_snapshot = false;         // install a snapshot at or below the commit index
    bool ignore_accepted_term = false;           // mark a batch durable by (index, term) alone
  } bugs;
};

enum class Role : uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* to_string(Role r);

// A read that became safe: the state machine has applied at least `index`, so reading it
// now is linearizable with respect to the moment read_index(context) was called.
struct ReadState {
  Index index = 0;
  std::string context;
  bool operator==(const ReadState&) const = default;
};

struct Ready {
  std::optional<HardState> hard_state;          // set when term, vote or commit changed
  std::optional<Snapshot> snapshot;             // a snapshot from the leader to install
  std::vector<Entry> entries;                   // to append to stable storage
  std::vector<Message> messages;                // send now
  std::vector<Message> messages_after_persist;  // send after the above are durable
  std::vector<Entry> committed_entries;         // apply in order
  std::vector<ReadState> read_states;           // reads that are safe to serve now
  // RaftLog::accepted_term() when `entries` were handed out; advance() uses it to tell
  // whether they are still the log's entries (see the durability contract).
  Term accepted_term = 0;

  bool empty() const {
    return !hard_state && !snapshot && entries.empty() && messages.empty() &&
           messages_after_persist.empty() && committed_entries.empty() && read_states.empty();
  }
};

enum class ProposeError {
  kNotLeader,          // only the leader appends or answers reads; status().leader names it
  kTransferring,       // a leadership transfer is under way: retry at the new leader
  kConfChangePending,  // a membership change is in flight, or the leader's term has no
                       // committed entry yet (the single-server-change bug): retry later
  kInvalidConf,        // the requested configuration is not acceptable
};
const char* to_string(ProposeError e);

// Where a proposal landed. It is committed once an entry with this index *and this term*
// is applied; if a different term shows up at that index, the proposal was lost.
struct Proposed {
  Index index = 0;
  Term term = 0;
};

struct Status {
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId vote = kNoNode;
  NodeId leader = kNoNode;
  Index commit = 0;
  Index applied = 0;
  Index last_index = 0;
  ConfState conf;
  NodeId lead_transferee = kNoNode;
};

class Node {
 public:
  // `storage` must outlive the node; the caller appends to it as Ready batches demand.
  Node(const Config& config, Storage* storage);

  void tick();
  // Errors are impossible to cause from outside: a message that makes no sense for the
  // node's state is dropped (and counted in dropped_messages()).
  void step(const Message& m);
  // Starts an election now (as if the election timer fired), honouring PreVote.
  void campaign();

  struct ProposeResult {
    std::optional<Proposed> proposed;
    std::optional<ProposeError> error;
  };
  ProposeResult propose(std::string data);

  // Requests a linearizable read point. On the leader the read is released (as a
  // ReadState with this context) after a quorum confirms its leadership and the state
  // machine has caught up. A leader that has not yet committed an entry of its own term
  // defers the read until it has. On a follower the request is forwarded to the leader.
  // Returns kNotLeader when no leader is known.
  std::optional<ProposeError> read_index(std::string context);

  // Membership change by joint consensus (Raft §6). `target` lists the voters and learners
  // the cluster should end with (voters_outgoing must be empty). If the voters change, the
  // leader appends C(old,new) — decisions then need majorities of both sets — and, once that
  // commits, appends C(new) by itself. Changing only learners takes one step. A
  // configuration takes effect as soon as it is appended, on every node. Refused while
  // another change is in flight or before the leader has committed an entry of its term.
  // `context` is carried in the entries for the application (e.g. member addresses).
  ProposeResult propose_conf_change(const ConfState& target, std::string context);
  // Hands leadership to `target`: proposals are refused meanwhile, the target is brought up
  // to date and told to campaign at once (TimeoutNow). Abandoned after an election timeout.
  std::optional<ProposeError> transfer_leadership(NodeId target);
  // The transport could not deliver to `id` (its connection is down): a leader stops
  // streaming appends to it and probes with one message at a time until it answers, so
  // nothing piles up for a node that may come back with a different log (etcd's
  // ReportUnreachable).
  void report_unreachable(NodeId id);
  // The configuration in effect at log index `index` (for snapshot metadata).
  ConfState conf_at(Index index) const;

  bool has_ready() const;
  Ready ready();
  // Tells the core that `rd` is done: its state is durable, its messages sent, its committed
  // entries applied. Of rd.entries only the last one's index and term are read, so an
  // application may move the entries out to its storage and keep just that.
  void advance(const Ready& rd);
  // The messages that may be sent now without waiting for any persistence (the `messages`
  // part of the next Ready, taken early). Safe to call between ready() and advance().
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
