// Where a command's reply goes: a slot in its connection's ordered reply queue. The
// request path (ClientService) completes slots; a client connection, or a simulated one,
// writes the replies back in request order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "server/command_counters.h"

namespace raftkv::server {

class ReplyTarget {
 public:
  virtual ~ReplyTarget() = default;
  // The reply to the connection's command number `seq` (its order of arrival). Completing
  // twice is ignored; completing after the connection closed is harmless.
  virtual void complete(uint64_t seq, std::string resp_bytes) = 0;
};

class ReplySlot {
 public:
  ReplySlot(std::shared_ptr<ReplyTarget> target, uint64_t seq)
      : target_(std::move(target)), seq_(seq) {}
  // No reply expected (an internal step that answers nobody).
  static ReplySlot none() { return ReplySlot(nullptr, 0); }
  bool valid() const { return target_ != nullptr; }

  void complete(std::string resp_bytes) const {
    if (!target_) return;
    if (counts_) counts_->count(resp_bytes);
    target_->complete(seq_, std::move(resp_bytes));
  }
  // The reply will be counted here by its result (metrics); `counts` must outlive the slot.
  void count_into(CommandResultCounts* counts) { counts_ = counts; }

 private:
  std::shared_ptr<ReplyTarget> target_;
  uint64_t seq_;
  CommandResultCounts* counts_ = nullptr;
};

}  // namespace raftkv::server
