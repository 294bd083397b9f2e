// Follower side of a chunked snapshot transfer (wire form: snapshot_chunk.h): keeps one
// partial image per sender in memory, acknowledges every chunk with the number of bytes
// held contiguously, and once the image is complete and its checksum matches, returns the
// whole kSnapshot message for the core. Nothing reaches the disk before that, so a
// follower that crashes mid-transfer simply starts over (the core installs the complete
// snapshot atomically through DurableStorage::save).
//
// Single-threaded: call on the io thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "raft/types.h"
#include "server/snapshot_chunk.h"

namespace raftkv::server {

class SnapshotReceiver {
 public:
  struct Stats {
    uint64_t chunks_received = 0;
    uint64_t transfers_completed = 0;
    uint64_t checksum_failures = 0;
    uint64_t refused = 0;  // larger than max_bytes
  };
  using SendFn = std::function<void(raft::Message)>;

  SnapshotReceiver(raft::NodeId self, uint64_t max_bytes, SendFn send)
      : self_(self), max_bytes_(max_bytes), send_(std::move(send)) {}

  // A chunk; returns the complete kSnapshot message when this chunk finished the image.
  std::optional<raft::Message> on_chunk(const raft::Message& m);

  bool in_progress() const { return !partial_.empty(); }
  const Stats& stats() const { return stats_; }
  // Where each incoming transfer stands (bytes received in order).
  std::vector<TransferProgress> progress() const {
    std::vector<TransferProgress> out;
    for (const auto& [from, p] : partial_)
      out.push_back({from, p.meta.index, p.data.size(), p.total});
    return out;
  }

 private:
  struct Partial {
    uint64_t id = 0;
    raft::Term term = 0;
    raft::SnapshotMeta meta;
    uint64_t total = 0;
    uint32_t checksum = 0;
    std::string data;
  };
  void ack(const raft::Message& chunk, uint64_t id, uint64_t offset);

  raft::NodeId self_;
  uint64_t max_bytes_;
  SendFn send_;
  std::map<raft::NodeId, Partial> partial_;  // per sender
  Stats stats_;
};

}  // namespace raftkv::server
