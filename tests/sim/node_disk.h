// A simulated node's "disk": the Raft core reads its stable log through storage(), and the
// simulator writes each Ready's durable parts through the write_* calls in the order the
// durability contract prescribes (snapshot, entries, hard state), then sync().
//
// This is the seam for other disks: MemoryDisk makes every write durable at once (a crash
// loses only what was never written), while a disk built on the durable storage's
// fault-injecting file layer can lose or tear unsynced writes in crash().
#pragma once

#include <memory>
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
  // Makes every write so far durable.
  virtual void sync() = 0;

  // The machine lost power: writes since the last sync() may be lost, in whatever way the
  // disk model allows. storage() then shows what a restarted node will find.
  virtual void crash(Rng& rng) = 0;
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
  void sync() override {}
  void crash(Rng& /*rng*/) override {}

 private:
  raft::MemoryStorage storage_;
};

}  // namespace raftkv::sim
