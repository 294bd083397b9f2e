#include "sim/durable_disk.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace raftkv::sim {

namespace {

constexpr const char* kDir = "log";

// The skip_fsync bug: every file's sync() claims success without making anything durable.
// Directory syncs still work, so files exist after a crash but hold only what happened to be
// synced when they were created: the realistic outcome of a missing fdatasync.
class NoSyncFile : public storage::File {
 public:
  explicit NoSyncFile(std::unique_ptr<storage::File> f) : f_(std::move(f)) {}
  storage::Status append(std::string_view data) override { return f_->append(data); }
  storage::Status write_at(uint64_t offset, std::string_view data) override {
    return f_->write_at(offset, data);
  }
  storage::Status read_at(uint64_t offset, size_t n, std::string* out) override {
    return f_->read_at(offset, n, out);
  }
  storage::Status sync() override { return storage::Status::Ok(); }
  storage::Status truncate(uint64_t size) override { return f_->truncate(size); }
  storage::Status allocate(uint64_t size) override { return f_->allocate(size); }
  storage::Status size(uint64_t* out) override { return f_->size(out); }

 private:
  std::unique_ptr<storage::File> f_;
};

class NoSyncFileSystem : public storage::FileSystem {
 public:
  explicit NoSyncFileSystem(storage::FileSystem* fs) : fs_(fs) {}
  storage::Status open(const std::string& path, storage::OpenMode mode,
                       std::unique_ptr<storage::File>* out) override {
    std::unique_ptr<storage::File> f;
    RAFTKV_RETURN_IF_ERROR(fs_->open(path, mode, &f));
    *out = std::make_unique<NoSyncFile>(std::move(f));
    return storage::Status::Ok();
  }
  storage::Status rename(const std::string& from, const std::string& to) override {
    return fs_->rename(from, to);
  }
  storage::Status remove(const std::string& path) override { return fs_->remove(path); }
  storage::Status list_dir(const std::string& dir, std::vector<std::string>* names) override {
    return fs_->list_dir(dir, names);
  }
  storage::Status sync_dir(const std::string& dir) override { return fs_->sync_dir(dir); }
  storage::Status create_dir(const std::string& dir) override { return fs_->create_dir(dir); }

 private:
  storage::FileSystem* fs_;
};

}  // namespace

std::unique_ptr<storage::FileSystem> make_no_sync_file_system(storage::FileSystem* fs) {
  return std::make_unique<NoSyncFileSystem>(fs);
}

namespace {

void check(const storage::Status& s, const char* what) {
  if (!s.ok()) throw std::logic_error(std::string(what) + ": " + s.to_string());
}

}  // namespace

DurableDisk::DurableDisk(const raft::ConfState& conf, uint64_t seed, DurableDiskOptions options)
    : fault_fs_(std::make_unique<storage::FaultFileSystem>(seed)),
      verify_recovery_(options.verify_recovery) {
  if (options.skip_fsync) {
    fs_ = std::make_unique<NoSyncFileSystem>(fault_fs_.get());
  }
  storage_options_.dir = kDir;
  storage_options_.segment_bytes = options.segment_bytes;
  storage::FileSystem* fs = fs_ ? fs_.get() : fault_fs_.get();
  check(storage::DurableStorage::open(fs, storage_options_, &storage_), "create the log");
  if (!conf.voters.empty()) check(storage_->set_conf_state(conf), "bootstrap the log");
}

DurableDisk::~DurableDisk() = default;

void DurableDisk::write_snapshot(const raft::Snapshot& snapshot) {
  batch_.snapshot = snapshot;
}

void DurableDisk::write_entries(const std::vector<raft::Entry>& entries) {
  if (entries.empty()) return;
  auto& batch = batch_.entries;
  while (!batch.empty() && batch.back().index >= entries.front().index) batch.pop_back();
  batch.insert(batch.end(), entries.begin(), entries.end());
}

storage::Status DurableDisk::save_batch() {
  Batch batch = std::move(batch_);
  batch_ = Batch{};
  storage::Status s = storage_->save(batch.hard_state, batch.entries, batch.snapshot);
  if (!s.ok()) failed_ = std::move(batch);
  return s;
}

bool DurableDisk::sync() {
  storage::Status s = save_batch();
  if (s.ok()) return true;
  error_ = s.to_string();
  return false;
}

bool DurableDisk::compact(raft::Index index, const raft::ConfState& conf, std::string data) {
  if (index < storage_->first_index()) return true;  // already compacted
  storage::Status s = storage_->compact(index, conf, std::move(data));
  if (s.ok()) return true;
  failed_compaction_ = index;
  error_ = s.to_string();
  return false;
}

void DurableDisk::crash(Rng& rng) {
  if (!storage_) return;
  // The read side mirrors exactly what saves made durable (DurableStorage updates it only
  // once a save succeeded).
  Acknowledged acked;
  acked.hard_state = storage_->hard_state();
  acked.first = storage_->first_index();
  for (raft::Index i = acked.first; i <= storage_->last_index(); ++i) {
    acked.terms.push_back(*storage_->term(i));
  }
  acked.interrupted = std::move(failed_);
  failed_.reset();
  acked.interrupted_compaction = failed_compaction_;
  failed_compaction_.reset();
  if (!batch_.empty()) {
    // The power fails during this batch's save(): after 0 to 3 of its file operations
    // (typically the append, the fdatasync, and a segment's creation and directory sync).
    acked.interrupted = batch_;
    fault_fs_->crash_after(rng.uniform(0, 3));
    (void)save_batch();
  }
  acked_ = std::move(acked);
  storage_.reset();
  static constexpr storage::CrashMode kModes[] = {storage::CrashMode::kLoseUnsynced,
                                                  storage::CrashMode::kTornLastWrite,
                                                  storage::CrashMode::kRandom};
  fault_fs_->crash(kModes[rng.uniform(0, 2)]);
}

bool DurableDisk::recover(std::string* error) {
  storage::FileSystem* fs = fs_ ? fs_.get() : fault_fs_.get();
  storage::Status s = storage::DurableStorage::open(fs, storage_options_, &storage_);
  if (!s.ok()) {
    *error = "recovery failed: " + s.to_string();
    return false;
  }
  std::optional<Acknowledged> acked = std::move(acked_);
  acked_.reset();
  if (acked && verify_recovery_) *error = check_recovered(*acked);
  return error->empty();
}

std::string DurableDisk::check_recovered(const Acknowledged& acked) const {
  const std::optional<Batch>& cut = acked.interrupted;
  raft::HardState hs = storage_->hard_state();
  if (hs != acked.hard_state && !(cut && cut->hard_state && hs == *cut->hard_state)) {
    return "recovered hard state term " + std::to_string(hs.term) + " vote " +
           std::to_string(hs.vote) + " commit " + std::to_string(hs.commit) + ", but term " +
           std::to_string(acked.hard_state.term) + " vote " +
           std::to_string(acked.hard_state.vote) + " commit " +
           std::to_string(acked.hard_state.commit) + " was durable";
  }
  if (cut && cut->snapshot) return {};  // the interrupted write may have replaced the log
  // Entries the interrupted write did not overwrite must all be back, except those an
  // interrupted compaction's snapshot replaced (it holds the state they produced).
  raft::Index end = acked.first + acked.terms.size();
  if (cut && !cut->entries.empty()) end = std::min(end, cut->entries.front().index);
  raft::Index from = acked.first;
  if (acked.interrupted_compaction && storage_->first_index() > from) {
    raft::Index base = storage_->first_index() - 1;
    if (base > *acked.interrupted_compaction) {
      return "recovered a snapshot at " + std::to_string(base) + " past the compaction at " +
             std::to_string(*acked.interrupted_compaction);
    }
    from = base;  // its term must still be the acknowledged one
  }
  for (raft::Index i = from; i < end; ++i) {
    auto t = storage_->term(i);
    if (!t.ok() || *t != acked.terms[i - acked.first]) {
      return "lost acknowledged entry " + std::to_string(i) + "/" +
             std::to_string(acked.terms[i - acked.first]) + " (recovered log ends at " +
             std::to_string(storage_->last_index()) + ")";
    }
  }
  return {};
}

std::string DurableDisk::inject_write_fault(Rng& rng) {
  // Faults hit a running node's writes; recovery's own syncs are not the target.
  if (!storage_) return {};
  if (rng.chance(0.5)) {
    fault_fs_->fail_next_syncs(1);
    return "the next fsync fails";
  }
  std::vector<std::string> names;
  uint64_t used = 0;
  if (fault_fs_->list_dir(kDir, &names).ok()) {
    for (const std::string& name : names) {
      used += fault_fs_->contents(storage::join_path(kDir, name)).size();
    }
  }
  uint64_t room = rng.uniform(0, 512);
  fault_fs_->set_capacity(used + room);
  return "the disk is full after " + std::to_string(room) + " more bytes";
}

void DurableDisk::clear_write_faults() {
  fault_fs_->set_capacity(std::nullopt);
  fault_fs_->fail_next_syncs(0);
}

}  // namespace raftkv::sim
