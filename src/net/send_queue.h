// The frames waiting for one peer's connection, in two lanes. Small time-critical messages
// (heartbeats, votes, read-index traffic) go in the priority lane, which is always drained
// first, so they never wait behind queued bulk appends or snapshots. Both lanes are bounded:
// when full, new frames are refused (the caller counts the drop; Raft retransmits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "raft/types.h"

namespace raftkv::net {

enum class Lane : uint8_t { kPriority, kBulk };

Lane lane_for(raft::MessageType type);

struct SendQueueLimits {
  size_t max_priority_frames = 1024;
  size_t max_bulk_frames = 8192;
  uint64_t max_bulk_bytes = 64 << 20;
  // Bulk bytes taken into one write; a write always carries at least one frame.
  uint64_t max_batch_bytes = 1 << 20;
};

class SendQueue {
 public:
  explicit SendQueue(const SendQueueLimits& limits) : limits_(limits) {}

  // Returns false (and keeps nothing) when the frame's lane is full.
  bool push(Lane lane, std::string frame);

  // Moves the next write's frames into *batch (appended): every priority frame, then bulk
  // frames while the batch stays within max_batch_bytes.
  void take_batch(std::vector<std::string>* batch);

  // Discards everything queued and returns how many frames were discarded.
  size_t clear();

  bool empty() const { return priority_.empty() && bulk_.empty(); }
  size_t frames() const { return priority_.size() + bulk_.size(); }
  uint64_t bytes() const { return priority_bytes_ + bulk_bytes_; }

 private:
  SendQueueLimits limits_;
  std::deque<std::string> priority_;
  std::deque<std::string> bulk_;
  uint64_t priority_bytes_ = 0;
  uint64_t bulk_bytes_ = 0;
};

}  // namespace raftkv::net
