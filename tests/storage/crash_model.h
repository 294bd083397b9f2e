// Operations on DurableStorage paired with their effect on a MemoryStorage model, and the
// set of states a crash in the middle of an operation may legitimately leave behind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"
#include "storage/durable_storage.h"

namespace raftkv::storage::testing {

struct Op {
  enum class Kind { kSave, kCompact, kSetConf } kind = Kind::kSave;
  // kSave
  std::optional<raft::HardState> hard_state;
  std::vector<raft::Entry> entries;
  std::optional<raft::Snapshot> snapshot;
  // kCompact (index, conf, data) and kSetConf (conf)
  raft::Index index = 0;
  raft::ConfState conf;
  std::string data;

  std::string describe() const;
};

Op save(std::optional<raft::HardState> hs, std::vector<raft::Entry> entries,
        std::optional<raft::Snapshot> snap = std::nullopt);
Op compact(raft::Index index, std::string data);
Op set_conf(raft::ConfState conf);

Status run(DurableStorage* s, const Op& op);

// The model after `op` completed.
raft::MemoryStorage applied(raft::MemoryStorage model, const Op& op);

// Every state a crash during `op` may leave, starting from `acked` (what was acknowledged
// before it): `acked` itself, any prefix of the op's records, and the completed op.
std::vector<raft::MemoryStorage> crash_outcomes(const raft::MemoryStorage& acked, const Op& op);

// Empty if `s` holds the same log, hard state and snapshot position as `m`; else the
// differences, for a failure message.
std::string diff(const DurableStorage& s, const raft::MemoryStorage& m);

}  // namespace raftkv::storage::testing
