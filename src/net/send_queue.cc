#include "net/send_queue.h"

#include <utility>

namespace raftkv::net {

Lane lane_for(raft::MessageType type) {
  using T = raft::MessageType;
  switch (type) {
    case T::kHeartbeat:
    case T::kHeartbeatResp:
    case T::kVote:
    case T::kVoteResp:
    case T::kPreVote:
    case T::kPreVoteResp:
    // Small, and a linearizable read waits on each of them.
    case T::kReadIndex:
    case T::kReadIndexResp:
    case T::kTimeoutNow:
      return Lane::kPriority;
    case T::kHup:
    case T::kApp:
    case T::kAppResp:
    case T::kSnapshot:
      return Lane::kBulk;
  }
  return Lane::kBulk;
}

bool SendQueue::push(Lane lane, std::string frame) {
  if (lane == Lane::kPriority) {
    if (priority_.size() >= limits_.max_priority_frames) return false;
    priority_bytes_ += frame.size();
    priority_.push_back(std::move(frame));
    return true;
  }
  if (bulk_.size() >= limits_.max_bulk_frames ||
      bulk_bytes_ + frame.size() > limits_.max_bulk_bytes) {
    return false;
  }
  bulk_bytes_ += frame.size();
  bulk_.push_back(std::move(frame));
  return true;
}

void SendQueue::take_batch(std::vector<std::string>* batch) {
  uint64_t batch_bytes = 0;
  while (!priority_.empty()) {
    batch_bytes += priority_.front().size();
    batch->push_back(std::move(priority_.front()));
    priority_.pop_front();
  }
  priority_bytes_ = 0;
  while (!bulk_.empty()) {
    const uint64_t size = bulk_.front().size();
    if (!batch->empty() && batch_bytes + size > limits_.max_batch_bytes) break;
    batch_bytes += size;
    bulk_bytes_ -= size;
    batch->push_back(std::move(bulk_.front()));
    bulk_.pop_front();
  }
}

size_t SendQueue::clear() {
  const size_t discarded = frames();
  priority_.clear();
  bulk_.clear();
  priority_bytes_ = 0;
  bulk_bytes_ = 0;
  return discarded;
}

}  // namespace raftkv::net
