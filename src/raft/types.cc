#include "raftkv/raft/types.h"

namespace raftkv::raft {

const char* to_string(MessageType t) {
  switch (t) {
    case MessageType::kHup:
      return "Hup";
    case MessageType::kPreVote:
      return "PreVote";
    case MessageType::kPreVoteResp:
      return "PreVoteResp";
    case MessageType::kVote:
      return "Vote";
    case MessageType::kVoteResp:
      return "VoteResp";
    case MessageType::kApp:
      return "App";
    case MessageType::kAppResp:
      return "AppResp";
    case MessageType::kHeartbeat:
      return "Heartbeat";
    case MessageType::kHeartbeatResp:
      return "HeartbeatResp";
    case MessageType::kSnapshot:
      return "Snapshot";
    case MessageType::kReadIndex:
      return "ReadIndex";
    case MessageType::kReadIndexResp:
      return "ReadIndexResp";
    case MessageType::kTimeoutNow:
      return "TimeoutNow";
  }
  return "?";
}

uint64_t message_size(const Message& m) {
  uint64_t n = 64 + m.context.size();
  for (const auto& e : m.entries) n += entry_size(e);
  if (m.snapshot) n += m.snapshot->data.size();
  return n;
}

}  // namespace raftkv::raft
