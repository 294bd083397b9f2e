// Reads waiting for the leader to confirm, with a heartbeat round, that it still leads.
// Each read is stamped with the confirmation round (`seq`) that was broadcast after it was
// registered; an acknowledgement of round s confirms exactly the reads with seq <= s, so a
// delayed response to an older round can never confirm a newer read.
#pragma once

#include <deque>
#include <string>
#include <vector>

#include "raftkv/raft/types.h"

namespace raftkv::raft {

struct PendingRead {
  std::string context;
  Index index = 0;       // leader's commit index when the read arrived
  uint64_t seq = 0;      // confirmation round
  NodeId requester = 0;  // kNoNode for a local read, else the follower that forwarded it
};

class ReadIndexTracker {
 public:
  // Registers a read at `commit_index`; returns the round that must confirm it.
  uint64_t add(std::string context, Index commit_index, NodeId requester) {
    pending_.push_back(PendingRead{std::move(context), commit_index, next_seq_, requester});
    round_needed_ = true;
    return next_seq_;
  }
  // A broadcast of the current round is due (reads were registered since the last one).
  bool round_needed() const { return round_needed_; }
  // Starts the round that confirms all reads registered so far; returns its number.
  uint64_t start_round() {
    round_needed_ = false;
    return next_seq_++;
  }
  // Removes and returns every read confirmed by round `seq` (oldest first).
  template <typename Confirmed>
  std::vector<PendingRead> take_confirmed(Confirmed&& confirmed) {
    std::vector<PendingRead> out;
    while (!pending_.empty() && confirmed(pending_.front().seq)) {
      out.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    return out;
  }
  bool empty() const { return pending_.empty(); }
  size_t size() const { return pending_.size(); }
  void clear() {
    pending_.clear();
    round_needed_ = false;
  }
  uint64_t last_round() const { return next_seq_ - 1; }

 private:
  std::deque<PendingRead> pending_;
  uint64_t next_seq_ = 1;
  bool round_needed_ = false;
};

}  // namespace raftkv::raft
