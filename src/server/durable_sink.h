// Persists Ready batches into the durable write-ahead log: the LogSink the server's disk
// thread writes through, and the one the simulator's disk queue uses too.
#pragma once

#include <deque>
#include <optional>
#include <string>

#include "server/disk_writer.h"
#include "storage/durable_storage.h"

namespace raftkv::server {

class DurableSink : public LogSink {
 public:
  explicit DurableSink(storage::DurableStorage* storage) : storage_(storage) {}
  std::optional<std::string> save(PersistBatch& b) override {
    auto s = storage_->save(b.hard_state, std::move(b.entries), b.snapshot);
    if (s.ok()) return std::nullopt;
    return s.to_string();
  }

 private:
  storage::DurableStorage* storage_;
};

// The disk job that compacts the log to a snapshot whose file (`path`) is written: the log
// adopts it, or, when an installed snapshot overtook it (kInvalidArgument), the file is
// removed and the log is unchanged. The compacted entries are moved to `removed` for the
// caller to free. An error means the storage failed. (server_snapshots.cc; the simulator's
// node runs it too.)
std::optional<std::string> adopt_snapshot_file(storage::DurableStorage* log,
                                               storage::FileSystem* fs, const std::string& path,
                                               const raft::SnapshotMeta& meta,
                                               std::deque<raft::Entry>* removed = nullptr);

}  // namespace raftkv::server
