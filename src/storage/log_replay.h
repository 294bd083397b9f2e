// Rebuilds the Raft log from the records of the write-ahead log, in order, as recovery reads
// them. Mirrors what DurableStorage did when it wrote each record.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>
#include <vector>

#include "raft/types.h"
#include "storage/record.h"
#include "storage/status.h"

namespace raftkv::storage {

class LogReplay {
 public:
  // Applies one record from segment `seq`. Fails (as corruption) if the payload does not
  // decode or contradicts what came before.
  Status apply(uint64_t seq, RecordType type, std::string_view payload);
  // Checks the result once every record has been applied.
  Status finish() const;

  // The snapshot the log starts after (index 0: none).
  const raft::SnapshotMeta& base() const { return base_; }
  std::vector<raft::Entry>& entries() { return entries_; }
  const raft::HardState& hard_state() const { return hard_state_; }
  // Highest entry index written to each segment, for deciding which segments compaction
  // may delete.
  const std::map<uint64_t, raft::Index>& segment_max_index() const { return segment_max_; }
  // Segment of the last installed snapshot (0: none); older segments hold nothing live.
  uint64_t install_seq() const { return install_seq_; }

 private:
  raft::Index last_index() const { return base_.index + entries_.size(); }

  raft::SnapshotMeta base_;
  // Set when entries jump past the end of the log. That is expected only where compaction
  // deleted the segments in between, and then a later compaction record covers the gap.
  bool gap_open_ = false;
  std::vector<raft::Entry> entries_;
  raft::HardState hard_state_;
  std::map<uint64_t, raft::Index> segment_max_;
  uint64_t install_seq_ = 0;
};

}  // namespace raftkv::storage
