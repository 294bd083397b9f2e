// The core reads its stable log through this interface. The log may begin after a snapshot:
// entries up to and including snapshot().meta.index are compacted away and only that
// snapshot's index and term remain known.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "raftkv/raft/result.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

enum class StorageError {
  kCompacted,    // the index is at or below the snapshot: read the snapshot instead
  kUnavailable,  // the index is past the last stored entry
};

const char* to_string(StorageError e);

// A Storage read: the value, or why it cannot be had.
template <typename T>
using StorageResult = Result<T, StorageError>;

struct InitialState {
  HardState hard_state;
  // The configuration as of the first index - 1 (the snapshot's, or the bootstrap one).
  // Configuration entries in the log after it are found by the core itself.
  ConfState conf;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Hard state and configuration recovered at start-up.
  virtual InitialState initial_state() const = 0;

  // Entries in [lo, hi), stopping early once `max_bytes` is exceeded (at least one entry is
  // always returned when lo < hi). Fails with kCompacted if lo < first_index().
  virtual StorageResult<std::vector<Entry>> entries(Index lo, Index hi,
                                                    uint64_t max_bytes) const = 0;

  // Term of entry i. Valid for i in [first_index()-1, last_index()]; the term of
  // first_index()-1 comes from the snapshot metadata.
  virtual StorageResult<Term> term(Index i) const = 0;

  // Index of the first entry still in the log (snapshot index + 1).
  virtual Index first_index() const = 0;

  // Index of the last entry (snapshot index if the log is empty after it).
  virtual Index last_index() const = 0;

  // The most recent snapshot, for sending to a follower that needs compacted entries.
  virtual Snapshot snapshot() const = 0;
};

// Storage held in memory, for tests, the simulator and the demo. Also the reference for
// what a durable implementation must do on each call.
class MemoryStorage : public Storage {
 public:
  MemoryStorage();

  InitialState initial_state() const override;
  StorageResult<std::vector<Entry>> entries(Index lo, Index hi, uint64_t max_bytes) const override;
  StorageResult<Term> term(Index i) const override;
  Index first_index() const override;
  Index last_index() const override;
  Snapshot snapshot() const override;

  void set_hard_state(const HardState& hs) { hard_state_ = hs; }
  void set_conf_state(const ConfState& cs) { conf_ = cs; }
  const HardState& hard_state() const { return hard_state_; }

  // Appends entries, first discarding any stored entries at or after entries.front().index
  // (the core only sends a suffix to overwrite when it conflicts). Entries below the first
  // index are ignored.
  void append(const std::vector<Entry>& entries);
  void append(std::vector<Entry>&& entries);  // the same, moving the entries in

  // Replaces the whole log with a snapshot (a follower installing one from the leader).
  void apply_snapshot(Snapshot snap);

  // Discards entries up to and including `index`, recording a snapshot with `data` there.
  // Fails with kCompacted if index is already compacted, kUnavailable if past the log.
  // With `removed`, the discarded entries are moved there instead of destroyed: freeing a
  // million entries takes tens of milliseconds, which a caller holding a lock (or the disk
  // thread) may want to leave to another thread. The work done here is then only
  // proportional to the entries kept.
  std::optional<StorageError> compact(Index index, const ConfState& conf, std::string data,
                                      std::deque<Entry>* removed = nullptr);

 private:
  HardState hard_state_;
  ConfState conf_;
  Snapshot snapshot_;
  // entries_[0] is a sentinel holding the snapshot's index and term. A deque, not a vector:
  // the log since the last snapshot can be a million entries, and a vector would move them
  // all (a pause on the thread that appends) and keep up to twice their size reserved
  // each time it grows; compaction drops from the front, which a deque does in place.
  std::deque<Entry> entries_;
};

}  // namespace raftkv::raft
