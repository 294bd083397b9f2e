// What the leader knows about one follower's log, and the flow control that bounds the
// AppendEntries messages in flight to it.
#pragma once

#include <cstddef>
#include <deque>

#include "raftkv/raft/node.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

// ProgressState is public (node.h): Status reports it.

// A bounded window of the last indexes of AppendEntries messages not yet acknowledged.
class Inflights {
 public:
  explicit Inflights(size_t capacity = 256) : capacity_(capacity) {}
  bool full() const { return window_.size() >= capacity_; }
  size_t count() const { return window_.size(); }
  void add(Index last) { window_.push_back(last); }
  // Acknowledgement up to `index` frees every message that ended at or before it.
  void free_le(Index index) {
    while (!window_.empty() && window_.front() <= index) window_.pop_front();
  }
  void reset() { window_.clear(); }
  // Lets one more message out when the window is full but the follower is alive (its
  // heartbeat answered): appends in the window may have been lost.
  void free_first_one() {
    if (!window_.empty()) window_.pop_front();
  }

 private:
  size_t capacity_;
  std::deque<Index> window_;
};

struct Progress {
  Index match = 0;  // highest index known to be replicated on the follower
  Index next = 1;   // next index to send
  ProgressState state = ProgressState::kProbe;
  bool probe_sent = false;  // in probe state: a message is out, wait for reply or heartbeat
  Index pending_snapshot = 0;
  int snapshot_heartbeats = 0;  // heartbeat answers since the snapshot was sent
  bool recent_active = false;   // heard from within the current election timeout
  bool is_learner = false;
  uint64_t read_seq_acked = 0;  // highest read-confirmation round this peer acknowledged
  Inflights inflights;

  explicit Progress(size_t max_inflight = 256) : inflights(max_inflight) {}

  void become_probe();
  void become_replicate();
  void become_snapshot(Index snapshot_index);

  // An acknowledgement up to n. Returns false if it told us nothing new (stale/duplicate).
  bool maybe_update(Index n);
  // After sending entries up to `last` in replicate state.
  void sent_entries(Index last);
  // A rejection of index `rejected`, with the follower's hint of where logs may match.
  // Returns false when the rejection is stale and must be ignored.
  bool maybe_decrease_to(Index rejected, Index hint);
  bool is_paused() const;
};

}  // namespace raftkv::raft
