#include "server/reply_slot.h"

#include "kv/resp3.h"
#include "server/batch_clock.h"
#include "server/command_stats.h"
#include "server/server_stats.h"

namespace raftkv::server {

void ReplySlot::complete(std::string resp_bytes, std::span<const std::string> argv) const {
  if (!target_) return;  // none(): nobody to answer or count
  if (conversion_ != Conversion::kNone) [[unlikely]]
    convert(&resp_bytes);
  if (stats_) {
    // At most one clock read at completion (none inside a driver's batch; batch_clock.h).
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(BatchClock::now() - arrived_);
    if (argv.empty() && kept_argv_) argv = *kept_argv_;
    account_reply(*stats_, spec_, static_cast<uint64_t>(ns.count()), rejected_, resp_bytes, argv,
                  *target_);
  }
  target_->complete(seq_, std::move(resp_bytes));
}

void ReplySlot::convert(std::string* resp_bytes) const {
  if (conversion_ == Conversion::kToResp2) return kv::to_resp2(resp_bytes);
  kv::to_resp3(
      resp_bytes, shape_,
      elements_ ? std::span<const kv::Resp3Shape>(*elements_) : std::span<const kv::Resp3Shape>());
}

}  // namespace raftkv::server
