// A simulated node's disk that is the real durable log: storage::DurableStorage on a
// storage::FaultFileSystem of its own. Each Ready is one DurableStorage::save() (one
// fdatasync); a crash is FaultFileSystem::crash() in a mode drawn from the run's seed, and a
// restart runs DurableStorage recovery on what survived. So the simulator's crash tests
// exercise the same code, and the same fault model, as the storage's own crash tests.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/node_disk.h"
#include "storage/durable_storage.h"
#include "storage/fault_file_system.h"

namespace raftkv::sim {

// The skip_fsync bug as a file system: every file's sync() claims success without making
// anything durable (directory syncs still work). Wraps `fs`, which must outlive it.
std::unique_ptr<storage::FileSystem> make_no_sync_file_system(storage::FileSystem* fs);

struct DurableDiskOptions {
  // Small segments, so that runs cross segment boundaries (preambles, directory syncs).
  uint64_t segment_bytes = 4096;
  // Injected bug: File::sync() returns ok without syncing. Acknowledged entries then live
  // only in the page cache and a crash can lose them; the simulator must notice.
  bool skip_fsync = false;
  // After each restart, check that recovery gave back everything that had been durable.
  // Off only to show that Raft's own checks also notice lost writes, more slowly.
  bool verify_recovery = true;
};

class DurableDisk : public NodeDisk {
 public:
  // Bootstraps a fresh log holding `conf` (empty for a node that joins an existing cluster).
  DurableDisk(const raft::ConfState& conf, uint64_t seed, DurableDiskOptions options);
  ~DurableDisk() override;

  raft::Storage& storage() override { return *storage_; }
  raft::HardState hard_state() const override { return storage_->hard_state(); }
  void write_snapshot(const raft::Snapshot& snapshot) override;
  void write_entries(const std::vector<raft::Entry>& entries) override;
  void write_hard_state(const raft::HardState& hs) override { batch_.hard_state = hs; }
  bool sync() override;
  std::string error() const override { return error_; }
  bool compact(raft::Index index, const raft::ConfState& conf, std::string data) override;

  void crash(Rng& rng) override;
  bool models_torn_writes() const override { return true; }
  bool recover(std::string* error) override;

  std::string inject_write_fault(Rng& rng) override;
  void clear_write_faults() override;

 private:
  // The writes of one Ready, saved together by sync() as the durable log requires.
  struct Batch {
    std::optional<raft::HardState> hard_state;
    std::vector<raft::Entry> entries;
    std::optional<raft::Snapshot> snapshot;
    bool empty() const { return !hard_state && entries.empty() && !snapshot; }
  };

  // What the log held after its last successful save, taken at a crash, and the batch
  // whose save did not complete: recovery must give back the former, changed at most by a
  // prefix of the latter. This is "an acknowledged write is never lost", checked directly.
  struct Acknowledged {
    raft::HardState hard_state;
    raft::Index first = 0;
    std::vector<raft::Term> terms;  // of entries first, first + 1, ...
    std::optional<Batch> interrupted;
    // A compaction that failed part-way: recovery may find its snapshot, which then
    // replaces the entries up to this index.
    std::optional<raft::Index> interrupted_compaction;
  };

  storage::Status save_batch();
  std::string check_recovered(const Acknowledged& acked) const;

  std::unique_ptr<storage::FaultFileSystem> fault_fs_;
  std::unique_ptr<storage::FileSystem> fs_;  // fault_fs_, or the skip_fsync wrapper of it
  storage::DurableStorageOptions storage_options_;
  bool verify_recovery_;
  std::unique_ptr<storage::DurableStorage> storage_;
  Batch batch_;
  std::optional<Batch> failed_;                   // the batch of the last save() that failed
  std::optional<raft::Index> failed_compaction_;  // the index of a compact() that failed
  std::optional<Acknowledged> acked_;
  std::string error_;
};

}  // namespace raftkv::sim
