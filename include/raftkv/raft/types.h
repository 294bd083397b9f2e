// Value types shared by the Raft core and everything around it: log entries, the hard state
// that must survive a crash, cluster configurations, snapshots and messages.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace raftkv::raft {

using NodeId = uint64_t;
using Term = uint64_t;
using Index = uint64_t;

// Node id 0 is never a real node: it means "nobody" (no vote, no known leader).
inline constexpr NodeId kNoNode = 0;

enum class EntryType : uint8_t {
  kNormal = 0,      // application command (may be empty: the new leader's no-op)
  kConfChange = 1,  // membership change; data is an encoded ConfState (see conf.h)
};

struct Entry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;

  bool operator==(const Entry&) const = default;
};

// Bytes an entry contributes to message and batch size limits.
inline uint64_t entry_size(const Entry& e) {
  return e.data.size() + 24;
}

// State that must be on stable storage before the node answers anything that depends on
// it: the current term and the vote cast in it (one vote per term, even across restarts),
// and the commit index (an optimisation: it saves re-learning commits after a restart).
struct HardState {
  Term term = 0;
  NodeId vote = kNoNode;
  Index commit = 0;

  bool operator==(const HardState&) const = default;
  bool empty() const { return term == 0 && vote == kNoNode && commit == 0; }
};

// A cluster configuration as data. `voters` is the current (incoming) majority; when
// `voters_outgoing` is non-empty the cluster is in a joint configuration and decisions need
// a majority of both sets. Learners receive the log but never vote or count toward commit.
struct ConfState {
  std::vector<NodeId> voters;
  std::vector<NodeId> voters_outgoing;
  std::vector<NodeId> learners;

  bool operator==(const ConfState&) const = default;
  bool joint() const { return !voters_outgoing.empty(); }
};

struct SnapshotMeta {
  Index index = 0;  // last log index the snapshot covers
  Term term = 0;    // term of that entry
  ConfState conf;   // configuration as of `index`

  bool operator==(const SnapshotMeta&) const = default;
};

struct Snapshot {
  SnapshotMeta meta;
  std::string data;  // opaque state-machine image

  bool empty() const { return meta.index == 0; }
  bool operator==(const Snapshot&) const = default;
};

enum class MessageType : uint8_t {
  kHup,      // local only: start an election now
  kPreVote,  // "would you vote for me at term+1?" — changes no state
  kPreVoteResp,
  kVote,  // RequestVote
  kVoteResp,
  kApp,  // AppendEntries
  kAppResp,
  kHeartbeat,  // AppendEntries without entries; carries commit and a read context
  kHeartbeatResp,
  kSnapshot,       // InstallSnapshot
  kReadIndex,      // follower -> leader: request a read index for `context`
  kReadIndexResp,  // leader -> follower: `index` is safe to read at once applied
  kTimeoutNow,     // leadership transfer: the leader tells the target to campaign now
};

const char* to_string(MessageType t);

// One message between nodes. A plain value: the transport encodes it, the simulator copies it.
struct Message {
  MessageType type = MessageType::kHup;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  Term term = 0;  // sender's term; 0 only for local messages

  // kApp: index/log_term of the entry preceding `entries`.
  // kVote/kPreVote: index/log_term of the candidate's last entry.
  // kAppResp: the index acknowledged (accept) or rejected (reject).
  // kReadIndexResp: the read index.
  Index index = 0;
  Term log_term = 0;
  std::vector<Entry> entries;
  Index commit = 0;

  bool reject = false;
  // kAppResp with reject: the follower's guess of the last index that may match, and the
  // term of its entry there, so the leader can skip a whole term per round trip.
  Index reject_hint = 0;
  Term hint_term = 0;

  // Heartbeats and their responses: the leader's read-confirmation round; kReadIndex(Resp):
  // the caller's read context.
  uint64_t read_seq = 0;
  std::string context;

  std::optional<Snapshot> snapshot;  // kSnapshot only

  // kVote/kPreVote of a leadership transfer: voters ignore their leader lease for it.
  bool transfer = false;

  bool operator==(const Message&) const = default;
};

// Bytes a message occupies, roughly, for batching limits and traces.
uint64_t message_size(const Message& m);

}  // namespace raftkv::raft
