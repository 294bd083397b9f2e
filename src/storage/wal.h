// The segmented write-ahead log: an append-only sequence of checksummed records (record.h)
// spread over segment files (file_names.h) in one directory. It knows
// nothing of Raft; DurableStorage gives the records their meaning.
//
// Writes: records are appended to the active (highest) segment and made durable with one
// fdatasync per write() call (plus a directory sync when the call created a segment). Once
// the active segment reaches segment_bytes, the next write starts a new segment whose first
// records are a caller-supplied preamble (so that older segments can later be deleted).
// Segments are preallocated to segment_bytes (zeros after the last record), which makes each
// fdatasync cheaper; a finished segment is cut back to its records before the next starts.
//
// Failure: after any failed write or sync the log enters a failed state and refuses further
// writes with kFailed. A failed fsync is never retried: Linux may already have dropped the
// data it failed to write, so a second, successful fsync would prove nothing.
//
// Recovery (open): segments are read in order and each valid record handed to a visitor.
//   - zeros after the last record of the last segment are its unwritten preallocated rest;
//   - a torn record at the end of the last segment (a crash mid-write) is cut off;
//   - a last segment whose file header is torn is removed;
//   - any other damage, a torn record in an earlier segment, a missing segment in the
//     sequence, or a record the visitor rejects fails open with the file name and offset;
//   - with `repair`, damage is cut off instead: the damaged segment is truncated at the
//     damage and later segments are deleted; every such action is listed in the report.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"
#include "storage/record.h"
#include "storage/status.h"
#include "storage/wal_stats.h"

namespace raftkv::storage {

// How far ahead of the records the active segment is written with zeros (see Wal::write).
inline constexpr uint64_t kZeroAheadBytes = 1 << 20;

struct WalOptions {
  std::string dir;
  uint64_t segment_bytes = 64 << 20;
  bool repair = false;
  WalStats* stats = nullptr;  // if set, each write() records its timings here
};

// What recovery did to the files beyond reading them, one human-readable line per action.
struct RecoveryReport {
  std::vector<std::string> actions;
};

class Wal {
 public:
  // Called for each valid record in log order with the segment it is in. A non-ok status
  // marks the record as corrupt (for example a payload that does not decode).
  using Visitor = std::function<Status(uint64_t seq, RecordType type, std::string_view payload)>;

  static Status open(FileSystem* fs, const WalOptions& options, const Visitor& visit,
                     std::unique_ptr<Wal>* out, RecoveryReport* report);

  // True when the next write must start a new segment (none yet, or the active one is full).
  bool needs_new_segment() const;
  // Starts a new segment holding `preamble` (framed records); durable with the next write().
  Status start_segment(std::string_view preamble);
  // Appends framed records to the active segment and makes them durable.
  Status write(std::string_view records);

  // Deletes the oldest segment, durably; never the active one (only a prefix of the
  // sequence may go, or recovery would report a missing segment).
  Status remove_oldest_segment();

  // Sequence numbers of the segments on disk, oldest first; the last is the active one.
  const std::vector<uint64_t>& segments() const { return segments_; }
  const std::string& dir() const { return options_.dir; }
  // ok, or the error that put the log into the failed state.
  const Status& failure() const { return failure_; }

 private:
  Wal(FileSystem* fs, WalOptions options) : fs_(fs), options_(std::move(options)) {}
  Status recover(const Visitor& visit, RecoveryReport* report);
  Status recover_segment(size_t i, const Visitor& visit, RecoveryReport* report, bool* stop);
  Status discard_from(size_t i, RecoveryReport* report);
  Status finish_active();
  Status zero_ahead(uint64_t end);
  Status fail(Status s);

  FileSystem* fs_;
  WalOptions options_;
  std::vector<uint64_t> segments_;
  std::unique_ptr<File> active_;
  uint64_t active_size_ = 0;  // where the next record goes: the end of the records
  // The active segment holds written bytes (records or zeros) up to here; beyond it the
  // space is only reserved (fallocate: "unwritten" extents). See write().
  uint64_t zeroed_to_ = 0;
  std::string zeros_;           // kZeroAheadBytes of zeros, made on first use
  uint64_t recovered_end_ = 0;  // recovery: end of the last segment's records
  bool dir_sync_pending_ = false;
  Status failure_;
};

}  // namespace raftkv::storage
