// raftkv::raft::Node — the Raft consensus core as a deterministic state machine, the
// library's public API (docs/core.md is the guide, examples/ has complete programs).
//
// The node owns no threads, sockets, files or clocks. Its caller drives it:
//   tick()            — one unit of logical time has passed (election/heartbeat timers)
//   step(message)     — a message arrived from a peer
//   propose(data)     — append a command to the replicated log (leader only)
//   read_index(ctx)   — ask for a linearizable read point (leader only)
// and then collects the resulting work with ready() and acknowledges it with advance().
//
// BOOTSTRAP AND RESTART. A node is created from its Storage (storage.h), which it reads
// through Storage::initial_state() and the log accessors:
//   - A new cluster: give every founding member storage whose initial_state().conf lists
//     the founding voters (MemoryStorage::set_conf_state) and an empty log, then create
//     each node. One of them times out and is elected; nothing else is needed.
//   - A node joining an existing cluster: start it with an empty configuration; the leader
//     adds it with propose_conf_change() and sends it the log (or a snapshot), from which
//     it learns the configuration.
//   - A restart: create the node again from the storage the earlier run persisted (hard
//     state, snapshot, entries). Set Config::applied to the last index the state machine
//     already holds (0 if it starts empty and replays the log from the snapshot).
// Never reuse an id for a different machine, and never restart from storage that lost
// an fsynced write: the vote and the acknowledged entries are promises to the cluster.
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
//
// READY.SNAPSHOT. Set when the leader sent a snapshot this node must install (its log is
// too far behind). Persist it first (MemoryStorage::apply_snapshot replaces the whole
// log), then restore the state machine from snapshot->data: it replaces everything the
// state machine applied so far, and committed_entries of the same and later batches
// continue from snapshot->meta.index + 1. The snapshot's configuration is in
// snapshot->meta.conf. To send snapshots as a leader, compact your storage
// (MemoryStorage::compact) with an image of the state machine at an applied index; the
// node sends Storage::snapshot() to followers that need entries compacted away.
//
// CONFIGURATION CHANGES. Membership is changed only through propose_conf_change(); the
// node writes kConfChange entries (EntryType) whose data decode_conf_change() (in
// conf_change.h) turns into the target ConfState and the application's context. A
// configuration TAKES EFFECT WHEN APPENDED, on every node, not when committed: the node
// already uses it for elections and commitment. Committed kConfChange entries among
// committed_entries need no call back into the node (unlike etcd's ApplyConfChange); the
// application applies them as it likes — for example opening connections to new members
// (the context may carry their addresses) or shutting down a node that is no longer a
// member — and records the configuration with its snapshots (conf_at(index)). Voter
// changes go through the joint configuration C(old,new), which the leader leaves by
// itself with a second entry once the first commits; status().conf.joint() tells.
//
// THREAD SAFETY. None: a Node is a plain object. Call all of its functions from one thread
// at a time (or under one lock); distinct nodes are independent. The Storage the node
// reads must not change under a call except as the Ready batches direct (the caller's
// appends between calls are fine). No function blocks, allocates a thread or reads a clock.
//
// MESSAGES. Message (types.h) is a plain value: the node neither serializes nor sends it.
// The transport encodes it however it likes; it may lose, duplicate, delay or reorder
// messages (Raft tolerates all of that), but must deliver each one whole to step() of the
// node named in `to`, and should call report_unreachable() when a peer cannot be reached.
// The in-tree transport uses the protobuf codec of src/proto (raftkv_proto); the core does
// not depend on it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raftkv/raft/conf_change.h"
#include "raftkv/raft/result.h"
#include "raftkv/raft/storage.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

// Why a Config cannot be used: the field and the rule it breaks.
struct ConfigError {
  std::string message;
};

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
  // A node with no configuration yet grants no vote (nor pre-vote). Turn it on when ids may
  // be reused: a node whose data was wiped, started again to join under a removed member's
  // id, has no log and no memory of the votes that id cast, and could otherwise hand a
  // stale candidate that still counts the id as a voter a second leader in one term. It
  // costs liveness only where a voter is added that has received nothing yet (raftkv's
  // server promotes only caught-up learners, so it never does that).
  bool vote_only_when_configured = false;
  // Seed of the node's random generator (election timeouts). Same seed, same behaviour.
  uint64_t random_seed = 1;

  // Checks the fields against each other (etcd's Config.validate): an id, positive ticks
  // with heartbeat_tick < election_tick, positive limits. Node::create() calls it.
  Result<void, ConfigError> validate() const;
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
  // The term of the leader whose entries last changed the log when `entries` were handed
  // out; advance() uses it to tell whether they are still the log's entries (see the
  // durability contract).
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

enum class ProgressState : uint8_t {
  kProbe,      // next is a guess: send one message per heartbeat until a reply locates it
  kReplicate,  // next is known: stream entries optimistically, up to the inflight window
  kSnapshot,   // the follower needs a snapshot; wait for it to be applied
};
const char* to_string(ProgressState s);

// A copy of what the node knows about one member's log. Kept up to date on the leader
// only; elsewhere it holds what the node knew when it last led, or the initial values.
struct PeerProgress {
  Index match = 0;  // highest index known to be replicated there
  Index next = 1;   // next index to send
  ProgressState state = ProgressState::kProbe;
  bool recent_active = false;  // heard from within the current election timeout
  bool is_learner = false;
  Index pending_snapshot = 0;  // in kSnapshot: the snapshot's index
  size_t inflight = 0;         // AppendEntries messages not yet acknowledged
};

// A snapshot of the node's state, by value (nothing in it refers into the node).
struct Status {
  NodeId id = kNoNode;
  Role role = Role::kFollower;
  Term term = 0;
  NodeId vote = kNoNode;
  NodeId leader = kNoNode;
  Index commit = 0;
  Index applied = 0;
  Index last_index = 0;
  ConfState conf;  // the configuration in effect (the last one appended)
  NodeId lead_transferee = kNoNode;
  // Every member of `conf` (voters of both halves and learners), self included.
  std::map<NodeId, PeerProgress> progress;

  bool is_voter(NodeId node) const;
};

class Raft;  // the implementation (src/raft/raft.h), not part of the API
namespace testing {
class NodeAccess;  // the in-tree tests' seam (src/raft/testing.h)
}

class Node {
 public:
  // The node, or why `config` cannot be used (Config::validate()). `storage` must not be
  // null and must outlive the node; the caller appends to it as Ready batches demand.
  static Result<Node, ConfigError> create(const Config& config, Storage* storage);
  // The same for a Config known to be valid: an invalid one stops the process with the
  // validation message (a fail-stop check, on in every build).
  Node(const Config& config, Storage* storage);
  Node(Node&&) noexcept;
  Node& operator=(Node&&) noexcept;
  ~Node();

  void tick();
  // Errors are impossible to cause from outside: a message that makes no sense for the
  // node's state is dropped (and counted in dropped_messages()).
  void step(const Message& m);
  // Starts an election now (as if the election timer fired), honouring PreVote.
  void campaign();

  // Appends a command (leader only). Fails with kNotLeader or kTransferring.
  Result<Proposed, ProposeError> propose(std::string data);

  // Requests a linearizable read point. On the leader the read is released (as a
  // ReadState with this context) after a quorum confirms its leadership and the state
  // machine has caught up. A leader that has not yet committed an entry of its own term
  // defers the read until it has. On a follower the request is forwarded to the leader.
  // Fails with kNotLeader when no leader is known.
  Result<void, ProposeError> read_index(std::string context);

  // Membership change by joint consensus (Raft §6). `target` lists the voters and learners
  // the cluster should end with (voters_outgoing must be empty). If the voters change, the
  // leader appends C(old,new) — decisions then need majorities of both sets — and, once that
  // commits, appends C(new) by itself. Changing only learners takes one step. A
  // configuration takes effect as soon as it is appended, on every node. Refused while
  // another change is in flight or before the leader has committed an entry of its term.
  // `context` is carried in the entries for the application (e.g. member addresses).
  Result<Proposed, ProposeError> propose_conf_change(const ConfState& target, std::string context);
  // Hands leadership to `target`: proposals are refused meanwhile, the target is brought up
  // to date and told to campaign at once (TimeoutNow). Abandoned after an election timeout.
  Result<void, ProposeError> transfer_leadership(NodeId target);
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

  // A copy of the node's state and of every member's progress.
  Status status() const;
  Role role() const;
  Term term() const;
  NodeId leader() const;
  NodeId id() const;
  uint64_t dropped_messages() const;

 private:
  friend class testing::NodeAccess;
  explicit Node(std::unique_ptr<Raft> raft);

  // Behind a pointer so that the header shows no internals; one indirection per call,
  // no allocation after construction.
  std::unique_ptr<Raft> raft_;
};

}  // namespace raftkv::raft
