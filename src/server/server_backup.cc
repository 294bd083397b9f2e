// RAFT BACKUP: a consistent snapshot of a live cluster for `raftkv snapshot save`. The
// leader confirms its leadership with a ReadIndex round, exactly as for a linearizable
// read; once it has applied up to that point, the state it holds reflects every write
// acknowledged before the request and none that was not committed. A forked child (as for
// BGSAVE) serializes that state into a snapshot file, so the event loop keeps serving;
// the file's bytes are the reply (a bulk string), and the file is removed.
#include <spdlog/spdlog.h>

#include <memory>

#include "kv/resp_writer.h"
#include "server/server.h"
#include "server/snapshot_image.h"
#include "storage/durable_storage.h"
#include "storage/snapshot_file.h"

namespace raftkv::server {

namespace {
constexpr const char* kBackupFile = "backup-in-progress.snap";
}

void Server::backup(ReplySlot slot) {
  if (backup_taker_->busy()) {
    slot.complete(kv::encode_error("ERR a backup is already being taken; try again later"));
    return;
  }
  driver_->read([this, slot = std::move(slot)](std::optional<RequestError> err) mutable {
    if (err) {
      slot.complete(request_error(*err));
      return;
    }
    take_backup(std::move(slot));
  });
}

void Server::take_backup(ReplySlot slot) {
  const raft::Index index = applied_index_;  // at or past the read point
  raft::StorageResult<raft::Term> term = storage_->term(index);
  if (!term) {
    slot.complete(kv::encode_error("ERR the applied index is no longer in the log; try again"));
    return;
  }
  raft::SnapshotMeta meta{index, *term, driver_->node().conf_at(index)};
  const std::string dir = options_.data_dir;
  // The child runs this on its copy-on-write view of the state at this instant.
  auto work = [this, meta, dir] {
    raft::Snapshot snap{meta, encode_snapshot_image(machine_.serialize(), members().encoded())};
    return storage::write_file_atomically(fs_.get(), dir, kBackupFile,
                                          storage::encode_snapshot_file(snap))
        .ok();
  };
  auto shared_slot = std::make_shared<ReplySlot>(std::move(slot));
  std::string err = backup_taker_->start(
      std::move(work), [this, shared_slot, dir, index](bool ok, const std::string& error) {
        if (!ok) {
          spdlog::error("backup at index {} failed: {}", index, error);
          shared_slot->complete(kv::encode_error("ERR backup failed: " + error));
          return;
        }
        spdlog::info("backup at index {} written; sending it", index);
        send_backup(std::move(*shared_slot), storage::join_path(dir, kBackupFile));
      });
  if (!err.empty()) shared_slot->complete(kv::encode_error("ERR cannot take a backup: " + err));
}

void Server::send_backup(ReplySlot slot, const std::string& path) {
  // Read on the background thread: the image may be large.
  auto* fs = fs_.get();
  loader_->post([this, fs, path, slot = std::move(slot)]() mutable {
    auto data = std::make_shared<std::string>();
    storage::Status s = storage::read_file(fs, path, data.get());
    (void)fs->remove(path);
    std::string reply = s.ok() ? kv::encode_bulk(*data)
                               : kv::encode_error("ERR cannot read the backup: " + s.to_string());
    data.reset();
    asio::post(io_, [slot = std::move(slot), reply = std::move(reply)]() mutable {
      slot.complete(std::move(reply));
    });
  });
}

}  // namespace raftkv::server
