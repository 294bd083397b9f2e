// A simulated node's "disk": the Raft core reads its stable log through storage(), and the
// simulator writes each Ready's durable parts through the write_* calls in the order the
// durability contract prescribes (snapshot, entries, hard state), then sync().
//
// Two disks plug in here: MemoryDisk makes every write durable at once (a crash loses only
// what was never written), while DurableDisk (durable_disk.h) is the real write-ahead log on
// the storage's fault-injecting file layer, which loses or tears unsynced writes in crash().
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "raft/storage.h"
#include "raft/types.h"
#include "sim/rng.h"

namespace raftkv::sim {

class NodeDisk {
 public:
  virtual ~NodeDisk() = default;

  // What the node reads at start-up and while running. Must reflect every write so far.
  virtual raft::Storage& storage() = 0;
  virtual raft::HardState hard_state() const = 0;

  virtual void write_snapshot(const raft::Snapshot& snapshot) = 0;
  // Overwrites stored entries at or after entries.front().index.
  virtual void write_entries(const std::vector<raft::Entry>& entries) = 0;
  virtual void write_hard_state(const raft::HardState& hs) = 0;
  // Makes every write so far durable. False if the disk failed it (full, failed fsync):
  // nothing of it may be treated as durable, and the node must stop as if it crashed.
  virtual bool sync() = 0;
  // Why the last sync() or compact() failed.
  virtual std::string error() const { return {}; }
  // Log compaction: durably records a snapshot of the state machine (`data`) at `index`, an
  // applied and therefore stable entry, with configuration `conf`, and discards the log up
  // to it. Nothing to do if `index` is already compacted. False if the disk failed it: the
  // node must stop as after a failed sync().
  virtual bool compact(raft::Index index, const raft::ConfState& conf, std::string data) = 0;

  // The machine lost power: writes since the last sync() may be lost, in whatever way the
  // disk model allows. storage() then shows what a restarted node will find.
  virtual void crash(Rng& rng) = 0;
  // True if crash() itself decides how much of the writes made since the last sync()
  // survives (a real file layer tears them). Otherwise SimNode chooses how much of an
  // interrupted Ready reaches the disk.
  virtual bool models_torn_writes() const { return false; }
  // Runs recovery before a restarted node reads storage(). False (with *error set) if the
  // disk cannot be opened: what was acknowledged before the crash is not recoverable.
  virtual bool recover(std::string* /*error*/) { return true; }

  // Write faults, for disks that can fail: makes a later write fail (a full disk, a failed
  // fsync) and returns what was done, or returns "" if this disk cannot fail.
  virtual std::string inject_write_fault(Rng& /*rng*/) { return {}; }
  virtual void clear_write_faults() {}
};

// The core's MemoryStorage as a disk whose writes are durable the moment they are made.
class MemoryDisk : public NodeDisk {
 public:
  explicit MemoryDisk(const raft::ConfState& conf) { storage_.set_conf_state(conf); }

  raft::Storage& storage() override { return storage_; }
  raft::HardState hard_state() const override { return storage_.hard_state(); }
  void write_snapshot(const raft::Snapshot& snapshot) override {
    storage_.apply_snapshot(snapshot);
  }
  void write_entries(const std::vector<raft::Entry>& entries) override { storage_.append(entries); }
  void write_hard_state(const raft::HardState& hs) override { storage_.set_hard_state(hs); }
  bool sync() override { return true; }
  bool compact(raft::Index index, const raft::ConfState& conf, std::string data) override {
    (void)storage_.compact(index, conf, std::move(data));  // kCompacted: nothing to do
    return true;
  }
  void crash(Rng& /*rng*/) override {}

 private:
  raft::MemoryStorage storage_;
};

}  // namespace raftkv::sim
