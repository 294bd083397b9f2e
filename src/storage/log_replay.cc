#include "storage/log_replay.h"

#include <algorithm>

#include "proto/codec.h"

namespace raftkv::storage {

Status LogReplay::apply(uint64_t seq, RecordType type, std::string_view payload) {
  switch (type) {
    case RecordType::kEntry: {
      raft::Entry e;
      if (!proto::decode(payload, &e)) return Status::Corruption("undecodable entry record");
      raft::Index& seg_max = segment_max_[seq];
      seg_max = std::max(seg_max, e.index);
      if (e.index <= base_.index && !gap_open_) return Status::Ok();  // compacted
      if (e.index > last_index() + 1 || e.index <= base_.index) {
        // Entries before this one were in deleted segments (an overwrite of such an entry
        // just moves the gap down); a later compaction record must cover the gap.
        entries_.clear();
        base_.index = e.index - 1;
        base_.term = 0;
        gap_open_ = true;
      }
      entries_.resize(e.index - base_.index - 1);  // an overwrite drops the old suffix
      entries_.push_back(std::move(e));
      return Status::Ok();
    }
    case RecordType::kHardState:
      if (!proto::decode(payload, &hard_state_)) {
        return Status::Corruption("undecodable hard state record");
      }
      return Status::Ok();
    case RecordType::kCompact: {
      raft::SnapshotMeta meta;
      if (!proto::decode(payload, &meta)) return Status::Corruption("undecodable compaction");
      if (meta.index < base_.index) return Status::Ok();  // an old segment preamble
      if (meta.index > base_.index && meta.index <= last_index()) {
        const raft::Entry& at = entries_[meta.index - base_.index - 1];
        if (at.term != meta.term) {
          return Status::Corruption("compaction at index " + std::to_string(meta.index) +
                                    " names term " + std::to_string(meta.term) +
                                    " but the entry there has term " + std::to_string(at.term));
        }
      }
      size_t drop = std::min<size_t>(entries_.size(), meta.index - base_.index);
      entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(drop));
      base_ = std::move(meta);
      gap_open_ = false;
      return Status::Ok();
    }
    case RecordType::kInstall: {
      raft::SnapshotMeta meta;
      if (!proto::decode(payload, &meta)) return Status::Corruption("undecodable snapshot meta");
      entries_.clear();
      base_ = std::move(meta);
      gap_open_ = false;
      hard_state_.commit = std::max(hard_state_.commit, base_.index);
      install_seq_ = seq;
      return Status::Ok();
    }
    case RecordType::kSnapshot:
      break;
  }
  return Status::Corruption("record type not allowed in a segment");
}

Status LogReplay::finish() const {
  if (gap_open_) {
    return Status::Corruption("entries before index " + std::to_string(base_.index + 1) +
                              " are missing and no snapshot covers them (lost segment?)");
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
