// Where a command's reply goes: a slot in its connection's ordered reply queue. The
// request path (ClientService) completes slots; a client connection, or a simulated one,
// writes the replies back in request order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kv/argv.h"
#include "kv/commands.h"
#include "kv/resp3_shape.h"

namespace raftkv::server {

struct ServerStats;

class ReplyTarget {
 public:
  virtual ~ReplyTarget() = default;
  // The reply to the connection's command number `seq` (its order of arrival). Completing
  // twice is ignored; completing after the connection closed is harmless.
  virtual void complete(uint64_t seq, std::string resp_bytes) = 0;
  // Who sent it, for SLOWLOG entries (asked only for a slow command).
  virtual std::string client_addr() const { return {}; }
  virtual std::string client_name() const { return {}; }
};

class ReplySlot {
 public:
  using Clock = std::chrono::steady_clock;

  // `arrived`: when the command arrived, if the caller read the clock already (a
  // connection reads it once for all the commands of one read); else handle() reads it.
  ReplySlot(std::shared_ptr<ReplyTarget> target, uint64_t seq, Clock::time_point arrived = {})
      : target_(std::move(target)), seq_(seq), arrived_(arrived) {}
  Clock::time_point arrival_or_now() const {
    return arrived_ != Clock::time_point{} ? arrived_ : Clock::now();
  }
  // No reply expected (an internal step that answers nobody).
  static ReplySlot none() { return ReplySlot(nullptr, 0); }
  bool valid() const { return target_ != nullptr; }

  void complete(std::string resp_bytes) const { complete(std::move(resp_bytes), {}); }
  // `argv`: the command, if the caller still holds it, for the slow log.
  void complete(std::string resp_bytes, std::span<const std::string> argv) const;
  // The reply will be counted into `stats` (raftkv_commands_total, INFO commandstats,
  // errorstats and latencystats, SLOWLOG) for `spec` (nullptr: an unknown command), timed
  // from `arrived`; `rejected`: refused before it executed. `stats` must outlive the slot.
  void account_into(ServerStats* stats, const kv::CommandSpec* spec, Clock::time_point arrived,
                    bool rejected = false) {
    stats_ = stats;
    spec_ = spec;
    arrived_ = arrived;
    rejected_ = rejected;
  }
  // Keeps a copy of the command for the slow log, for a path that completes the slot
  // later without it (the server's own commands; not the data path, which passes argv).
  void keep_argv(const kv::Argv& argv) { kept_argv_ = std::make_shared<const kv::Argv>(argv); }
  // The connection speaks RESP3: the reply (made as RESP2) is converted as `shape` says
  // when it completes (kv/resp3.h). `elements`: EXEC's queued commands' shapes.
  void use_resp3(kv::Resp3Shape shape) {
    conversion_ = Conversion::kToResp3;
    shape_ = shape;
  }
  // A RESP2 connection's script reply (or EXEC's), which may hold RESP3 types (kv::to_resp2).
  void use_resp2() { conversion_ = Conversion::kToResp2; }
  // The reply is already in the connection's protocol (EXEC with HELLO inside).
  void no_conversion() { conversion_ = Conversion::kNone; }
  void use_resp3_elements(std::vector<kv::Resp3Shape> elements) {
    elements_ = std::make_shared<const std::vector<kv::Resp3Shape>>(std::move(elements));
  }
  bool resp3() const { return conversion_ == Conversion::kToResp3; }
  const std::shared_ptr<ReplyTarget>& target() const { return target_; }

 private:
  void convert(std::string* resp_bytes) const;

  std::shared_ptr<ReplyTarget> target_;
  uint64_t seq_;
  ServerStats* stats_ = nullptr;
  const kv::CommandSpec* spec_ = nullptr;
  Clock::time_point arrived_{};
  bool rejected_ = false;
  enum class Conversion : uint8_t { kNone, kToResp3, kToResp2 };
  Conversion conversion_ = Conversion::kNone;
  kv::Resp3Shape shape_ = kv::Resp3Shape::kPlain;
  std::shared_ptr<const kv::Argv> kept_argv_;
  std::shared_ptr<const std::vector<kv::Resp3Shape>> elements_;
};

}  // namespace raftkv::server
