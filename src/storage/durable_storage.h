// DurableStorage: the Raft core's Storage backed by the write-ahead log (wal.h) and snapshot
// files (snapshot_file.h) in one directory. The on-disk format and the recovery rules are
// described in docs/storage.md.
//
// Reads (the raft::Storage interface) are served from memory: the log since the last
// snapshot is kept there, so memory grows with the uncompacted log. Writes go to disk first
// and reach the in-memory copy only once durable.
//
// Threads: reads may come from any thread, concurrently with one writer; save(),
// compact() and set_conf_state() must not run concurrently with each other.
//
// Failure: once a write or fsync fails (including a full disk), every later write returns
// kFailed with the original error, nothing from the failed call is visible, and the owner
// must stop acting on this node's behalf (a leader must step down) and restart, which runs
// recovery. A failed fsync is never retried.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"
#include "storage/file_system.h"
#include "storage/status.h"
#include "storage/wal.h"

namespace raftkv::storage {

struct DurableStorageOptions {
  std::string dir;                    // created if missing; holds segments and snapshots
  uint64_t segment_bytes = 64 << 20;  // start a new segment once the active one is this big
  // Truncate the log at damage instead of refusing to open; what is discarded is listed in
  // the RecoveryReport. May lose acknowledged entries: for an operator's explicit decision.
  bool repair = false;
  // Keep the current snapshot's state-machine image in memory so that snapshot() returns
  // it. A server that streams snapshots from the file turns this off: snapshot() then
  // returns the metadata only and read_snapshot() reads the image from disk when needed.
  bool keep_snapshot_data = true;
};

class DurableStorage : public raft::Storage {
 public:
  // Opens (recovering) or creates the storage in options.dir. `fs` must outlive it. Fails
  // with kCorruption naming the file and offset if the log is damaged anywhere but its tail.
  static Status open(FileSystem* fs, const DurableStorageOptions& options,
                     std::unique_ptr<DurableStorage>* out, RecoveryReport* report = nullptr);

  // --- raft::Storage ---
  raft::InitialState initial_state() const override;
  raft::StorageResult<std::vector<raft::Entry>> entries(raft::Index lo, raft::Index hi,
                                                        uint64_t max_bytes) const override;
  raft::StorageResult<raft::Term> term(raft::Index i) const override;
  raft::Index first_index() const override;
  raft::Index last_index() const override;
  raft::Snapshot snapshot() const override;

  // Makes one Ready's worth of state durable, in the order the core requires: the snapshot
  // (replacing the log), then the entries (overwriting stored entries at or after
  // entries.front().index; entries already compacted are skipped), then the hard state.
  // One fdatasync covers the whole call (more only when it installs a snapshot or starts a
  // segment). Returns ok only once everything is durable. The entries are taken by value so
  // that a caller done with them can move them into the in-memory mirror of the log.
  Status save(const std::optional<raft::HardState>& hard_state, std::vector<raft::Entry> entries,
              const std::optional<raft::Snapshot>& snapshot);

  // Records a snapshot of the state machine at `index` (<= last_index()) with configuration
  // `conf`, then deletes segments and snapshot files it makes obsolete.
  Status compact(raft::Index index, const raft::ConfState& conf, std::string data);

  // Like compact(), for a snapshot whose file was already written with write_snapshot_file
  // (snapshot_file.h), for example by a forked child: logs it and deletes what it makes
  // obsolete. Fails with kInvalidArgument, changing nothing, when meta.index is already
  // compacted or the log's term there differs (a snapshot was installed meanwhile); the
  // caller then removes the file (recovery would too).
  // With `removed`, the entries the compaction drops from memory are moved there for the
  // caller to free (MemoryStorage::compact), e.g. on another thread.
  Status adopt_snapshot(const raft::SnapshotMeta& meta, std::deque<raft::Entry>* removed = nullptr);

  // Reads the current snapshot (metadata and image) from its file, checksums verified.
  // Safe from any thread, also while compaction replaces the file. Empty if there is none.
  Status read_snapshot(raft::Snapshot* out) const;

  // Durably sets the configuration the log starts from (bootstrapping a new cluster).
  Status set_conf_state(const raft::ConfState& conf);

  raft::HardState hard_state() const;
  // ok, or the error that put the storage into the failed state.
  Status health() const;
  // The log's append timings and bytes (safe to read from any thread).
  const WalStats& wal_stats() const { return wal_stats_; }

 private:
  DurableStorage(FileSystem* fs, DurableStorageOptions options)
      : fs_(fs), options_(std::move(options)) {}
  Status recover(RecoveryReport* report);
  Status remove_stale_files(RecoveryReport* report);
  // Appends framed records (starting a segment first if needed) and syncs.
  Status write_records(const std::string& records);
  Status remove_obsolete_segments();
  Status record_compaction(raft::Snapshot snap, std::deque<raft::Entry>* removed = nullptr);
  Status check_writable() const;
  // Records the first failure of a file operation outside the log (snapshot files).
  Status fail(Status s);

  FileSystem* fs_;
  const DurableStorageOptions options_;
  WalStats wal_stats_;  // declared before wal_, which records into it
  std::unique_ptr<Wal> wal_;
  std::map<uint64_t, raft::Index> segment_max_index_;  // per segment seq
  uint64_t install_seq_ = 0;
  Status failure_;  // failures outside the log; the log keeps its own

  mutable std::mutex mu_;  // guards the in-memory copy below against concurrent readers
  raft::MemoryStorage mem_;
  raft::SnapshotMeta base_;  // metadata of the snapshot the log starts after
};

}  // namespace raftkv::storage
