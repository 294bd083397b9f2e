#include "storage/durable_storage.h"

#include <algorithm>

#include "proto/codec.h"
#include "storage/file_names.h"
#include "storage/log_replay.h"
#include "storage/record.h"
#include "storage/snapshot_file.h"

namespace raftkv::storage {

using raft::Entry;
using raft::Index;

Status DurableStorage::open(FileSystem* fs, const DurableStorageOptions& options,
                            std::unique_ptr<DurableStorage>* out, RecoveryReport* report) {
  RecoveryReport local;
  std::unique_ptr<DurableStorage> s(new DurableStorage(fs, options));
  RAFTKV_RETURN_IF_ERROR(s->recover(report ? report : &local));
  *out = std::move(s);
  return Status::Ok();
}

Status DurableStorage::recover(RecoveryReport* report) {
  LogReplay replay;
  WalOptions wal_options{options_.dir, options_.segment_bytes, options_.repair, &wal_stats_};
  auto visit = [&replay](uint64_t seq, RecordType type, std::string_view payload) {
    return replay.apply(seq, type, payload);
  };
  RAFTKV_RETURN_IF_ERROR(Wal::open(fs_, wal_options, visit, &wal_, report));
  RAFTKV_RETURN_IF_ERROR(replay.finish());

  raft::Snapshot snap;
  snap.meta = replay.base();
  if (snap.meta.index > 0) {
    raft::Snapshot on_disk;
    RAFTKV_RETURN_IF_ERROR(read_snapshot_file(fs_, options_.dir, snap.meta.index, &on_disk));
    if (on_disk.meta.term != snap.meta.term) {
      return Status::Corruption(snapshot_file_name(snap.meta.index) +
                                ": term differs from the log's record of it");
    }
    // The log's conf is newer if set_conf_state ran.
    if (options_.keep_snapshot_data) snap.data = std::move(on_disk.data);
  }
  base_ = snap.meta;
  mem_.apply_snapshot(std::move(snap));
  mem_.append(replay.entries());
  mem_.set_hard_state(replay.hard_state());
  segment_max_index_ = replay.segment_max_index();
  install_seq_ = replay.install_seq();
  return remove_stale_files(report);
}

// Snapshot files other than the current one are either obsolete (older) or were written by
// an operation that never reached the log (newer); temp files are from interrupted writes.
Status DurableStorage::remove_stale_files(RecoveryReport* report) {
  std::vector<std::string> names;
  RAFTKV_RETURN_IF_ERROR(fs_->list_dir(options_.dir, &names));
  bool removed = false;
  for (const std::string& name : names) {
    uint64_t index = 0;
    bool stale_snapshot = parse_snapshot_file_name(name, &index) && index != base_.index;
    bool temp = is_temp_file_name(name);
    if (!stale_snapshot && !temp) continue;
    RAFTKV_RETURN_IF_ERROR(fs_->remove(join_path(options_.dir, name)));
    report->actions.push_back("removed stale " + name);
    removed = true;
  }
  if (removed) RAFTKV_RETURN_IF_ERROR(fs_->sync_dir(options_.dir));
  return Status::Ok();
}

Status DurableStorage::check_writable() const {
  if (!health().ok()) return Status::Failed(health().to_string());
  return Status::Ok();
}

Status DurableStorage::fail(Status s) {
  if (!s.ok() && failure_.ok()) failure_ = s;
  return s;
}

Status DurableStorage::write_records(const std::string& records) {
  if (wal_->needs_new_segment()) {
    // The new segment restates the current snapshot and hard state, so every older segment
    // can be deleted once compaction passes its entries.
    std::string preamble;
    {
      std::lock_guard<std::mutex> lock(mu_);
      append_record(RecordType::kCompact, proto::encode(base_), &preamble);
      append_record(RecordType::kHardState, proto::encode(mem_.hard_state()), &preamble);
    }
    RAFTKV_RETURN_IF_ERROR(wal_->start_segment(preamble));
  }
  return wal_->write(records);
}

Status DurableStorage::save(const std::optional<raft::HardState>& hard_state,
                            std::vector<Entry> entries,
                            const std::optional<raft::Snapshot>& snapshot) {
  RAFTKV_RETURN_IF_ERROR(check_writable());
  const bool install = snapshot && !snapshot->empty();
  Index first = install ? snapshot->meta.index + 1 : first_index();
  Index last = install ? snapshot->meta.index : last_index();
  auto begin = entries.begin();
  while (begin != entries.end() && begin->index < first) ++begin;  // already compacted
  if (begin != entries.end() && begin->index > last + 1) {
    return Status::InvalidArgument("entries start at " + std::to_string(begin->index) +
                                   " after a gap (last index " + std::to_string(last) + ")");
  }
  for (auto it = begin; it != entries.end() && it + 1 != entries.end(); ++it) {
    if ((it + 1)->index != it->index + 1) return Status::InvalidArgument("entries not contiguous");
  }

  if (install) {
    RAFTKV_RETURN_IF_ERROR(fail(write_snapshot_file(fs_, options_.dir, *snapshot)));
  }
  std::string records;
  if (install) append_record(RecordType::kInstall, proto::encode(snapshot->meta), &records);
  size_t estimate = 0;
  for (auto it = begin; it != entries.end(); ++it) estimate += it->data.size() + 32;
  records.reserve(estimate);
  std::string payload;  // one buffer for every entry's encoding
  for (auto it = begin; it != entries.end(); ++it) {
    payload.clear();
    proto::encode_to(*it, &payload);
    append_record(RecordType::kEntry, payload, &records);
  }
  if (hard_state) append_record(RecordType::kHardState, proto::encode(*hard_state), &records);
  if (records.empty()) return Status::Ok();
  RAFTKV_RETURN_IF_ERROR(write_records(records));

  uint64_t seq = wal_->segments().back();
  if (begin != entries.end()) {
    Index& seg_max = segment_max_index_[seq];
    seg_max = std::max(seg_max, entries.back().index);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (install) {
    install_seq_ = seq;
    base_ = snapshot->meta;
    mem_.apply_snapshot(options_.keep_snapshot_data ? *snapshot
                                                    : raft::Snapshot{snapshot->meta, {}});
  }
  if (begin != entries.end()) {
    entries.erase(entries.begin(), begin);
    mem_.append(std::move(entries));
  }
  if (hard_state) mem_.set_hard_state(*hard_state);
  return Status::Ok();
}

Status DurableStorage::compact(Index index, const raft::ConfState& conf, std::string data) {
  RAFTKV_RETURN_IF_ERROR(check_writable());
  raft::Snapshot snap;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (index <= base_.index) return Status::InvalidArgument("index already compacted");
    raft::StorageResult<raft::Term> t = mem_.term(index);
    if (!t) return Status::InvalidArgument("compaction index past the end of the log");
    snap.meta = raft::SnapshotMeta{index, *t, conf};
  }
  snap.data = std::move(data);
  RAFTKV_RETURN_IF_ERROR(fail(write_snapshot_file(fs_, options_.dir, snap)));
  return record_compaction(snap);
}

Status DurableStorage::adopt_snapshot(const raft::SnapshotMeta& meta,
                                      std::deque<raft::Entry>* removed) {
  RAFTKV_RETURN_IF_ERROR(check_writable());
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (meta.index <= base_.index) return Status::InvalidArgument("index already compacted");
    raft::StorageResult<raft::Term> t = mem_.term(meta.index);
    if (!t || *t != meta.term) {
      return Status::InvalidArgument("the log no longer holds the snapshot's last entry");
    }
  }
  raft::Snapshot snap{meta, {}};
  if (options_.keep_snapshot_data) {
    // Read back (and so verify) what the other writer put there.
    RAFTKV_RETURN_IF_ERROR(read_snapshot_file(fs_, options_.dir, meta.index, &snap));
    if (snap.meta.index != meta.index || snap.meta.term != meta.term) {
      return Status::InvalidArgument(snapshot_file_name(meta.index) + ": metadata differs");
    }
  }
  return record_compaction(snap, removed);
}

// The snapshot file is durable: log the compaction, then drop what it makes obsolete.
Status DurableStorage::record_compaction(raft::Snapshot snap, std::deque<raft::Entry>* removed) {
  std::string records;
  append_record(RecordType::kCompact, proto::encode(snap.meta), &records);
  RAFTKV_RETURN_IF_ERROR(write_records(records));
  Index old_base = base_.index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    base_ = snap.meta;
    (void)mem_.compact(snap.meta.index, snap.meta.conf,
                       options_.keep_snapshot_data ? std::move(snap.data) : std::string(), removed);
  }
  RAFTKV_RETURN_IF_ERROR(remove_obsolete_segments());
  if (old_base > 0) {
    Status s = fs_->remove(join_path(options_.dir, snapshot_file_name(old_base)));
    if (!s.ok() && s.code() != StatusCode::kNotFound) return fail(s);
    RAFTKV_RETURN_IF_ERROR(fail(fs_->sync_dir(options_.dir)));
  }
  return Status::Ok();
}

Status DurableStorage::read_snapshot(raft::Snapshot* out) const {
  // A compaction may delete the file between reading base_ and opening it; then the newer
  // one is current, so try again.
  for (int attempt = 0;; ++attempt) {
    raft::SnapshotMeta meta;
    {
      std::lock_guard<std::mutex> lock(mu_);
      meta = base_;
    }
    if (meta.index == 0) {
      *out = raft::Snapshot{};
      return Status::Ok();
    }
    Status s = read_snapshot_file(fs_, options_.dir, meta.index, out);
    bool replaced;
    {
      std::lock_guard<std::mutex> lock(mu_);
      replaced = base_.index != meta.index;
    }
    if (s.ok() || !replaced || attempt >= 3) {
      if (s.ok()) out->meta = meta;  // the log's conf is newer if set_conf_state ran
      return s;
    }
  }
}

// Deletes the oldest segments while every entry in them is covered by the snapshot (or was
// discarded by a later installed snapshot). Only a prefix of the sequence is ever deleted.
Status DurableStorage::remove_obsolete_segments() {
  while (wal_->segments().size() > 1) {
    uint64_t seq = wal_->segments().front();
    auto it = segment_max_index_.find(seq);
    Index max_index = it == segment_max_index_.end() ? 0 : it->second;
    if (max_index > base_.index && seq >= install_seq_) break;
    RAFTKV_RETURN_IF_ERROR(wal_->remove_oldest_segment());
    segment_max_index_.erase(seq);
  }
  return Status::Ok();
}

Status DurableStorage::set_conf_state(const raft::ConfState& conf) {
  RAFTKV_RETURN_IF_ERROR(check_writable());
  raft::SnapshotMeta meta;
  {
    std::lock_guard<std::mutex> lock(mu_);
    meta = base_;
  }
  meta.conf = conf;
  std::string records;
  append_record(RecordType::kCompact, proto::encode(meta), &records);
  RAFTKV_RETURN_IF_ERROR(write_records(records));
  std::lock_guard<std::mutex> lock(mu_);
  base_ = meta;
  return Status::Ok();
}

raft::InitialState DurableStorage::initial_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  // The configuration the log starts from; the core derives later ones from the log's
  // configuration-change entries (src/raft/conf_change.h).
  return raft::InitialState{mem_.hard_state(), base_.conf};
}

raft::StorageResult<std::vector<Entry>> DurableStorage::entries(Index lo, Index hi,
                                                                uint64_t max_bytes) const {
  std::lock_guard<std::mutex> lock(mu_);
  return mem_.entries(lo, hi, max_bytes);
}

raft::StorageResult<raft::Term> DurableStorage::term(Index i) const {
  std::lock_guard<std::mutex> lock(mu_);
  return mem_.term(i);
}

Index DurableStorage::first_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mem_.first_index();
}

Index DurableStorage::last_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mem_.last_index();
}

raft::Snapshot DurableStorage::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  raft::Snapshot s = mem_.snapshot();
  s.meta = base_;
  return s;
}

raft::HardState DurableStorage::hard_state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return mem_.hard_state();
}

Status DurableStorage::health() const {
  if (!wal_->failure().ok()) return wal_->failure();
  return failure_;
}

}  // namespace raftkv::storage
