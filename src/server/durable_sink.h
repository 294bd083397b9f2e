// Persists Ready batches into the durable write-ahead log: the LogSink the server's disk
// thread writes through, and the one the simulator's disk queue uses too.
#pragma once

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

}  // namespace raftkv::server
