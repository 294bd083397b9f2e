// The server's snapshots: taking one (a forked child writes the file, the disk thread then
// compacts the log), restoring one (at startup and when the leader installs one), and
// moving one to a lagging follower in chunks. Design and figures: docs/snapshots.md.
#include <spdlog/spdlog.h>

#include <ctime>
#include <deque>
#include <memory>
#include <random>

#include "net/peer_transport.h"
#include "server/durable_sink.h"
#include "server/server.h"
#include "server/snapshot_chunk.h"
#include "server/snapshot_image.h"
#include "server/snapshot_policy.h"
#include "storage/durable_storage.h"
#include "storage/file_names.h"
#include "storage/snapshot_file.h"

namespace raftkv::server {

namespace {

using Clock = std::chrono::steady_clock;

uint64_t ms_since(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

}  // namespace

std::string Server::restore_image(const raft::Snapshot& snapshot) {
  SnapshotImage img;
  if (std::string err = decode_snapshot_image(snapshot.data, &img); !err.empty()) return err;
  kv::StateMachine fresh;
  if (kv::Status s = fresh.restore(img.kv); !s) return "key-value image: " + s.message();
  if (fresh.applied_index() != snapshot.meta.index) {
    return "image is at index " + std::to_string(fresh.applied_index()) + ", not " +
           std::to_string(snapshot.meta.index);
  }
  MemberDirectory members;
  for (const auto& [id, value] : img.members) {
    if (!members.set_encoded(id, value)) return "malformed member " + std::to_string(id);
  }
  fresh.set_publish_sink(&pubsub_);  // the sink is the node's, not the image's
  machine_ = std::move(fresh);
  membership_->restore(std::move(members), snapshot.meta.conf);
  applied_index_ = snapshot.meta.index;
  entries_since_snapshot_ = bytes_since_snapshot_ = 0;
  last_image_bytes_ = snapshot.data.size();
  return "";
}

std::string Server::restore_at_startup() {
  if (storage_->snapshot().empty()) return "";
  auto t0 = Clock::now();
  raft::Snapshot snap;
  spdlog::info("loading the snapshot at index {}", storage_->snapshot().meta.index);
  if (auto s = storage_->read_snapshot(&snap); !s.ok()) return s.to_string();
  spdlog::info("read the snapshot ({} bytes) in {} ms; restoring it", snap.data.size(),
               ms_since(t0));
  if (std::string err = restore_image(snap); !err.empty()) {
    return storage::snapshot_file_name(snap.meta.index) + ": " + err;
  }
  snapshot_stats_.last_index = snap.meta.index;
  spdlog::info("restored snapshot at index {} ({} keys, {} bytes) in {} ms", snap.meta.index,
               machine_.key_count(), snap.data.size(), ms_since(t0));
  return "";
}

std::string Server::restore(const raft::Snapshot& snapshot) {
  auto t0 = Clock::now();
  if (std::string err = restore_image(snapshot); !err.empty()) return err;
  ++snapshot_stats_.installed;
  snapshot_stats_.last_index = snapshot.meta.index;
  spdlog::info("installed the leader's snapshot at index {} ({} keys) in {} ms",
               snapshot.meta.index, machine_.key_count(), ms_since(t0));
  return "";
}

void Server::maybe_snapshot() {
  bool due =
      snapshot_due(options_, {entries_since_snapshot_, bytes_since_snapshot_, last_image_bytes_});
  if (!due || taker_->busy() || driver_->failed()) return;
  if (std::string err = start_snapshot(); !err.empty()) {
    spdlog::warn("cannot start a snapshot: {}", err);
  }
}

std::string Server::start_snapshot() {
  if (taker_->busy()) return "a snapshot is already being taken";
  if (driver_->failed()) return "the storage failed";
  const raft::Index index = applied_index_;
  if (index <= storage_->snapshot().meta.index) return "";  // nothing new to snapshot
  raft::StorageResult<raft::Term> term = storage_->term(index);
  if (!term) return "the applied index is no longer in the log";
  raft::SnapshotMeta meta{index, *term, driver_->node().conf_at(index)};
  auto t0 = Clock::now();
  // The child runs this on its copy-on-write view of the state at this instant.
  auto work = [this, meta] {
    raft::Snapshot snap{meta, encode_snapshot_image(machine_.serialize(), members().encoded())};
    return write_snapshot_file(fs_.get(), storage_dir(), snap).ok();
  };
  std::string err = taker_->start(std::move(work), [this, meta, t0](bool ok, const std::string& e) {
    on_snapshot_written(meta, t0, ok, e);
  });
  if (!err.empty()) return err;
  snapshot_stats_.last_fork_usec = static_cast<uint64_t>(taker_->last_fork_time().count());
  entries_since_snapshot_ = bytes_since_snapshot_ = 0;
  return "";
}

void Server::on_snapshot_written(raft::SnapshotMeta meta, Clock::time_point t0, bool ok,
                                 const std::string& error) {
  if (!ok) {
    ++snapshot_stats_.failed;
    snapshot_stats_.last_status = "err";
    spdlog::error("snapshot at index {} failed: {}", meta.index, error);
    return;
  }
  uint64_t written_ms = ms_since(t0);
  auto t1 = Clock::now();
  std::unique_ptr<storage::File> file;
  const std::string path =
      storage::join_path(storage_dir(), storage::snapshot_file_name(meta.index));
  if (fs_->open(path, storage::OpenMode::kReadOnly, &file).ok()) {
    uint64_t size = 0;
    if (file->size(&size).ok()) last_image_bytes_ = size;
  }
  auto* storage = storage_.get();
  auto* fs = fs_.get();
  // Compaction takes the storage's single writer: run it on the disk thread, in order with
  // the log writes. A snapshot overtaken by an installed one is simply dropped.
  auto* loader = loader_.get();
  driver_->run_on_disk(
      [storage, fs, path, meta, loader]() -> std::optional<std::string> {
        // Freeing the compacted entries (up to a million) would hold up the log writes
        // behind this job for tens of milliseconds: the background thread does it.
        auto removed = std::make_shared<std::deque<raft::Entry>>();
        std::optional<std::string> err =
            adopt_snapshot_file(storage, fs, path, meta, removed.get());
        loader->post([removed = std::move(removed)]() mutable { removed.reset(); });
        return err;
      },
      [this, meta, written_ms, t1](std::optional<std::string> err) {
        if (err) {
          ++snapshot_stats_.failed;
          snapshot_stats_.last_status = "err";
          return;
        }
        ++snapshot_stats_.taken;
        snapshot_stats_.last_status = "ok";
        snapshot_stats_.last_save_unix = static_cast<int64_t>(std::time(nullptr));
        snapshot_stats_.last_index = storage_->snapshot().meta.index;
        snapshot_stats_.last_duration_ms = written_ms;
        snapshot_stats_.last_compact_ms = ms_since(t1);
        spdlog::info(
            "snapshot at index {}: fork {} us, written in {} ms, log compacted in {} ms "
            "(first index now {})",
            meta.index, snapshot_stats_.last_fork_usec, written_ms, snapshot_stats_.last_compact_ms,
            storage_->first_index());
      });
}

std::optional<std::string> adopt_snapshot_file(storage::DurableStorage* log,
                                               storage::FileSystem* fs, const std::string& path,
                                               const raft::SnapshotMeta& meta,
                                               std::deque<raft::Entry>* removed) {
  storage::Status s = log->adopt_snapshot(meta, removed);
  if (s.code() == storage::StatusCode::kInvalidArgument) {
    spdlog::info("snapshot at index {} dropped: {}", meta.index, s.to_string());
    (void)fs->remove(path);
    return std::nullopt;
  }
  if (!s.ok()) return "compaction failed: " + s.to_string();
  return std::nullopt;
}

// The core's kSnapshot messages go out in chunks; everything else straight to the transport.
void Server::send_to_peers(std::vector<raft::Message> msgs) {
  auto now = Clock::now();
  std::erase_if(msgs, [&](const raft::Message& m) {
    if (m.type != raft::MessageType::kSnapshot) return false;
    sender_->start(m, now);
    return true;
  });
  if (!msgs.empty()) transport_->send(std::move(msgs));
}

void Server::on_peer_message(raft::Message m) {
  membership_->heard_from(m);
  if (!is_snapshot_stream_message(m)) {
    driver_->step(m);
    return;
  }
  auto h = decode_chunk_header(m.context);
  if (!h) return;
  if (h->kind == ChunkHeader::Kind::kAck) {
    sender_->on_ack(m, Clock::now());
    return;
  }
  if (auto full = receiver_->on_chunk(m)) driver_->step(*full);
}

void Server::load_snapshot_for(raft::NodeId peer) {
  auto* storage = storage_.get();
  loader_->post([this, storage, peer] {
    auto snap = std::make_shared<raft::Snapshot>();
    storage::Status s = storage->read_snapshot(snap.get());
    if (!s.ok()) {
      spdlog::warn("cannot read the snapshot to send to {}: {}", peer, s.to_string());
      snap.reset();
    }
    asio::post(io_, [this, peer, snap = std::shared_ptr<const raft::Snapshot>(std::move(snap))] {
      if (sender_) sender_->loaded(peer, snap, Clock::now());
    });
  });
}

void Server::snapshot_tick() {
  if (!driver_->is_leader()) {
    if (sender_->active() > 0) sender_->cancel_all();
  } else {
    // A follower that acknowledged its snapshot (or caught up otherwise) needs no more chunks.
    const raft::Status st = driver_->status();
    for (const auto& [id, _] : membership_->peers()) {  // every member, also those added later
      auto pr = st.progress.find(id);
      if (sender_->sending_to(id) &&
          (pr == st.progress.end() || pr->second.state != raft::ProgressState::kSnapshot)) {
        sender_->cancel(id);
      }
    }
  }
  sender_->tick(Clock::now());
  maybe_snapshot();
  report_progress();
}

std::string Server::snapshot_info() const {
  std::string out = "# Persistence\r\n";
  auto add = [&out](const std::string& key, const std::string& value) {
    out += key + ":" + value + "\r\n";
  };
  add("snapshot_in_progress", taker_->busy() ? "1" : "0");
  add("snapshots_taken", std::to_string(snapshot_stats_.taken));
  add("snapshots_failed", std::to_string(snapshot_stats_.failed));
  add("snapshots_installed", std::to_string(snapshot_stats_.installed));
  add("last_snapshot_status", snapshot_stats_.last_status);
  add("last_snapshot_index", std::to_string(storage_->snapshot().meta.index));
  add("last_snapshot_fork_usec", std::to_string(snapshot_stats_.last_fork_usec));
  add("last_snapshot_write_ms", std::to_string(snapshot_stats_.last_duration_ms));
  add("last_snapshot_compact_ms", std::to_string(snapshot_stats_.last_compact_ms));
  add("entries_since_snapshot", std::to_string(entries_since_snapshot_));
  add("log_first_index", std::to_string(storage_->first_index()));
  const auto& ss = sender_->stats();
  add("snapshot_transfers_sending", std::to_string(sender_->active()));
  add("snapshot_transfers_started", std::to_string(ss.transfers_started));
  add("snapshot_transfers_completed", std::to_string(ss.transfers_completed));
  add("snapshot_chunks_sent", std::to_string(ss.chunks_sent));
  add("snapshot_resends", std::to_string(ss.resends));
  add("snapshot_restarts", std::to_string(ss.restarts));
  const auto& rs = receiver_->stats();
  add("snapshot_chunks_received", std::to_string(rs.chunks_received));
  add("snapshot_transfers_received", std::to_string(rs.transfers_completed));
  add("snapshot_checksum_failures", std::to_string(rs.checksum_failures));
  out += progress_info();
  out += "\r\n";
  return out;
}

}  // namespace raftkv::server
