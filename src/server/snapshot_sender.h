// Leader side of a chunked snapshot transfer (wire form: snapshot_chunk.h). The core's
// kSnapshot message for a follower is turned into a stream of chunks with a bounded window
// of unacknowledged bytes, so a large snapshot neither exceeds the transport's frame limit
// nor fills its queues: heartbeats (the priority lane) keep flowing and the follower never
// times out into an election. Chunks not acknowledged within ack_timeout are sent again from
// the last acknowledged offset; a receiver that lost its partial copy (it restarted) acks 0
// and the transfer starts over.
//
// Single-threaded: call everything on the io thread. Loading the image (read from the
// snapshot file) happens elsewhere: load() is asked, and the owner answers with loaded().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "raft/types.h"
#include "server/snapshot_chunk.h"

namespace raftkv::server {

class SnapshotSender {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    uint64_t chunk_bytes = 1 << 20;
    uint64_t window_bytes = 4 << 20;  // unacknowledged bytes in flight per follower
    std::chrono::milliseconds ack_timeout{3000};
  };
  struct Stats {
    uint64_t transfers_started = 0;
    uint64_t transfers_completed = 0;
    uint64_t chunks_sent = 0;
    uint64_t bytes_sent = 0;
    uint64_t resends = 0;   // timeouts: resent from the last acknowledged offset
    uint64_t restarts = 0;  // the receiver asked to start over
  };
  using SendFn = std::function<void(raft::Message)>;
  // Asks the owner for the current snapshot with its image, for `peer`; the answer comes
  // through loaded(). Needed when the core's message carries the metadata only.
  using LoadFn = std::function<void(raft::NodeId peer)>;

  SnapshotSender(Options options, SendFn send, LoadFn load, uint64_t id_seed);

  // A kSnapshot message from the core. A transfer of the same snapshot to the same peer
  // already under way is kept; another one replaces it.
  void start(const raft::Message& m, Clock::time_point now);
  // The image for `peer`'s transfer (nullptr: loading failed; retried after ack_timeout).
  void loaded(raft::NodeId peer, std::shared_ptr<const raft::Snapshot> snap, Clock::time_point now);
  void on_ack(const raft::Message& m, Clock::time_point now);
  // Resends after timeouts, retries loads.
  void tick(Clock::time_point now);
  // Leadership lost: the new leader decides what followers need.
  void cancel_all() { transfers_.clear(); }
  // The core no longer waits for a snapshot for `peer` (it acknowledged one).
  void cancel(raft::NodeId peer) { transfers_.erase(peer); }
  bool sending_to(raft::NodeId peer) const { return transfers_.count(peer) > 0; }

  size_t active() const { return transfers_.size(); }
  const Stats& stats() const { return stats_; }
  // Where each transfer stands (the image's bytes the receiver acknowledged).
  std::vector<TransferProgress> progress() const {
    std::vector<TransferProgress> out;
    for (const auto& [peer, t] : transfers_) {
      out.push_back({peer, t.index, t.acked, t.snap ? t.snap->data.size() : 0});
    }
    return out;
  }

 private:
  struct Transfer {
    uint64_t id = 0;
    raft::Term term = 0;
    raft::Index index = 0;                       // the snapshot the core asked for
    std::shared_ptr<const raft::Snapshot> snap;  // null while loading
    uint32_t checksum = 0;
    uint64_t sent = 0;   // next offset to send
    uint64_t acked = 0;  // bytes the receiver holds
    Clock::time_point last_progress;
  };
  void pump(raft::NodeId peer, Transfer& t);

  Options options_;
  SendFn send_;
  LoadFn load_;
  uint64_t next_id_;
  std::map<raft::NodeId, Transfer> transfers_;
  Stats stats_;
};

}  // namespace raftkv::server
