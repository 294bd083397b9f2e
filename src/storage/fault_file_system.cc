#include "storage/fault_file_system.h"

#include <algorithm>

namespace raftkv::storage {
namespace {

std::string parent_dir(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string strip_trailing_slash(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

void apply_write(std::string* contents, uint64_t offset, std::string_view data) {
  if (contents->size() < offset + data.size()) contents->resize(offset + data.size(), '\0');
  contents->replace(offset, data.size(), data);
}

// A change not yet synced: a write (data set) or a truncation (data unset).
struct PendingChange {
  uint64_t offset = 0;  // write offset, or the new size for a truncation
  std::optional<std::string> data;
};

void apply_change(std::string* contents, const PendingChange& c) {
  if (c.data) {
    apply_write(contents, c.offset, *c.data);
  } else {
    contents->resize(c.offset, '\0');
  }
}

}  // namespace

struct FaultFileSystem::Inode {
  std::string visible;
  std::string durable;
  std::vector<PendingChange> pending;
};

class FaultFileSystem::MemFile : public File {
 public:
  MemFile(FaultFileSystem* fs, std::shared_ptr<Inode> inode, std::string path, bool writable)
      : fs_(fs),
        inode_(std::move(inode)),
        path_(std::move(path)),
        writable_(writable),
        generation_(fs->generation_) {}

  Status append(std::string_view data) override {
    RAFTKV_RETURN_IF_ERROR(check(true));
    return fs_->write(inode_.get(), path_, inode_->visible.size(), data);
  }
  Status write_at(uint64_t offset, std::string_view data) override {
    RAFTKV_RETURN_IF_ERROR(check(true));
    return fs_->write(inode_.get(), path_, offset, data);
  }
  Status read_at(uint64_t offset, size_t n, std::string* out) override {
    RAFTKV_RETURN_IF_ERROR(check(false));
    const std::string& v = inode_->visible;
    out->assign(offset >= v.size() ? std::string_view() : std::string_view(v).substr(offset, n));
    return Status::Ok();
  }
  Status sync() override {
    RAFTKV_RETURN_IF_ERROR(check(false));
    return fs_->sync_file(inode_.get(), path_);
  }
  Status truncate(uint64_t size) override {
    RAFTKV_RETURN_IF_ERROR(check(true));
    return fs_->truncate(inode_.get(), path_, size);
  }
  Status allocate(uint64_t size) override {
    RAFTKV_RETURN_IF_ERROR(check(true));
    return fs_->allocate(inode_.get(), path_, size);
  }
  Status size(uint64_t* out) override {
    RAFTKV_RETURN_IF_ERROR(check(false));
    *out = inode_->visible.size();
    return Status::Ok();
  }

 private:
  Status check(bool write) {
    if (generation_ != fs_->generation_) {
      return Status::IoError(path_ + ": file handle from before a crash");
    }
    if (write && !writable_) return Status::IoError(path_ + ": opened read-only");
    return fs_->check_alive();
  }

  FaultFileSystem* fs_;
  std::shared_ptr<Inode> inode_;
  std::string path_;
  bool writable_;
  uint64_t generation_;
};

FaultFileSystem::FaultFileSystem(uint64_t seed) : rng_(seed) {
  dirs_[""] = true;
}
FaultFileSystem::~FaultFileSystem() = default;

Status FaultFileSystem::check_alive() {
  if (halted_) return Status::IoError("simulated crash: the machine is down");
  return Status::Ok();
}

Status FaultFileSystem::begin_mutation() {
  RAFTKV_RETURN_IF_ERROR(check_alive());
  if (crash_at_ && mutating_ops_ >= *crash_at_) {
    halted_ = true;
    return check_alive();
  }
  ++mutating_ops_;
  return Status::Ok();
}

Status FaultFileSystem::maybe_fail_sync(const std::string& what) {
  bool fail = false;
  if (failing_syncs_ > 0) {
    --failing_syncs_;
    fail = true;
  } else if (sync_failure_rate_ > 0) {
    fail = std::uniform_real_distribution<double>(0, 1)(rng_) < sync_failure_rate_;
  }
  if (fail) return Status::IoError("fsync " + what + ": Input/output error (injected)");
  return Status::Ok();
}

uint64_t FaultFileSystem::used_bytes() const {
  uint64_t total = 0;
  for (const auto& [name, inode] : names_) total += inode->visible.size();
  return total;
}

Status FaultFileSystem::write(Inode* inode, const std::string& path, uint64_t offset,
                              std::string_view data) {
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  uint64_t new_size = std::max<uint64_t>(inode->visible.size(), offset + data.size());
  if (capacity_ && used_bytes() - inode->visible.size() + new_size > *capacity_) {
    return Status::NoSpace("write " + path + ": No space left on device (injected)");
  }
  apply_write(&inode->visible, offset, data);
  inode->pending.push_back(PendingChange{offset, std::string(data)});
  return Status::Ok();
}

Status FaultFileSystem::truncate(Inode* inode, const std::string& path, uint64_t size) {
  (void)path;
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  inode->visible.resize(size, '\0');
  inode->pending.push_back(PendingChange{size, std::nullopt});
  return Status::Ok();
}

// Modelled as an extending truncation: until synced, a crash may leave the old size.
Status FaultFileSystem::allocate(Inode* inode, const std::string& path, uint64_t size) {
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  if (size <= inode->visible.size()) return Status::Ok();
  if (capacity_ && used_bytes() - inode->visible.size() + size > *capacity_) {
    return Status::NoSpace("fallocate " + path + ": No space left on device (injected)");
  }
  inode->visible.resize(size, '\0');
  inode->pending.push_back(PendingChange{size, std::nullopt});
  return Status::Ok();
}

Status FaultFileSystem::sync_file(Inode* inode, const std::string& path) {
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  Status s = maybe_fail_sync(path);
  if (!s.ok()) {
    // Linux marks the dirty pages clean after a writeback error: the data is gone from the
    // disk's point of view, and a later successful sync will not bring it back.
    inode->pending.clear();
    return s;
  }
  // Only the pending changes reach the disk: writes dropped by an earlier failed sync stay
  // lost even though reads see them.
  for (const PendingChange& c : inode->pending) apply_change(&inode->durable, c);
  inode->pending.clear();
  return Status::Ok();
}

Status FaultFileSystem::open(const std::string& path, OpenMode mode, std::unique_ptr<File>* out) {
  RAFTKV_RETURN_IF_ERROR(check_alive());
  auto it = names_.find(path);
  if (it == names_.end()) {
    if (mode == OpenMode::kReadOnly || mode == OpenMode::kReadWrite) {
      return Status::NotFound("open " + path + ": No such file or directory");
    }
    if (!dirs_.count(parent_dir(path))) {
      return Status::NotFound("open " + path + ": no such directory");
    }
    RAFTKV_RETURN_IF_ERROR(begin_mutation());
    it = names_.emplace(path, std::make_shared<Inode>()).first;
  } else if (mode == OpenMode::kCreateTruncate) {
    RAFTKV_RETURN_IF_ERROR(truncate(it->second.get(), path, 0));
  }
  *out = std::make_unique<MemFile>(this, it->second, path, mode != OpenMode::kReadOnly);
  return Status::Ok();
}

Status FaultFileSystem::rename(const std::string& from, const std::string& to) {
  RAFTKV_RETURN_IF_ERROR(check_alive());
  auto it = names_.find(from);
  if (it == names_.end()) return Status::NotFound("rename " + from + ": No such file");
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  std::shared_ptr<Inode> inode = it->second;
  names_.erase(it);
  names_[to] = std::move(inode);
  return Status::Ok();
}

Status FaultFileSystem::remove(const std::string& path) {
  RAFTKV_RETURN_IF_ERROR(check_alive());
  if (!names_.count(path)) return Status::NotFound("unlink " + path + ": No such file");
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  names_.erase(path);
  return Status::Ok();
}

Status FaultFileSystem::list_dir(const std::string& dir, std::vector<std::string>* names) {
  RAFTKV_RETURN_IF_ERROR(check_alive());
  std::string d = strip_trailing_slash(dir);
  if (!dirs_.count(d)) return Status::NotFound("opendir " + dir + ": No such directory");
  names->clear();
  for (const auto& [path, inode] : names_) {
    if (parent_dir(path) == d) names->push_back(path.substr(d.empty() ? 0 : d.size() + 1));
  }
  return Status::Ok();
}

Status FaultFileSystem::sync_dir(const std::string& dir) {
  std::string d = strip_trailing_slash(dir);
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  if (!dirs_.count(d)) return Status::NotFound("open dir " + dir + ": No such directory");
  RAFTKV_RETURN_IF_ERROR(maybe_fail_sync("dir " + dir));
  std::erase_if(durable_names_, [&](const auto& kv) { return parent_dir(kv.first) == d; });
  for (const auto& [path, inode] : names_) {
    if (parent_dir(path) == d) durable_names_[path] = inode;
  }
  return Status::Ok();
}

// Directories are durable as soon as they are created: the log creates its directory once,
// before anything that needs durability, so modelling their loss would test nothing.
Status FaultFileSystem::create_dir(const std::string& dir) {
  RAFTKV_RETURN_IF_ERROR(begin_mutation());
  std::string d = strip_trailing_slash(dir);
  if (!dirs_.count(parent_dir(d))) return Status::NotFound("mkdir " + dir + ": no parent");
  dirs_[d] = true;
  return Status::Ok();
}

void FaultFileSystem::crash(CrashMode mode) {
  // Which names survive: per directory, visible or durable.
  std::map<std::string, std::shared_ptr<Inode>> survivors;
  for (const auto& [dir, unused] : dirs_) {
    bool keep_visible =
        mode == CrashMode::kTornLastWrite || (mode == CrashMode::kRandom && (rng_() & 1) != 0);
    const auto& from = keep_visible ? names_ : durable_names_;
    for (const auto& [path, inode] : from) {
      if (parent_dir(path) == dir) survivors[path] = inode;
    }
  }
  // What each surviving file holds: its durable contents plus some of its pending changes.
  std::vector<Inode*> done;
  for (auto& [path, inode] : survivors) {
    if (std::find(done.begin(), done.end(), inode.get()) != done.end()) continue;
    done.push_back(inode.get());
    std::vector<PendingChange>& pending = inode->pending;
    size_t keep = 0;  // changes kept in full; the next one, if a write, is torn
    if (mode == CrashMode::kTornLastWrite && !pending.empty()) keep = pending.size() - 1;
    if (mode == CrashMode::kRandom) keep = rng_() % (pending.size() + 1);
    std::string contents = inode->durable;
    for (size_t i = 0; i < keep; ++i) apply_change(&contents, pending[i]);
    if (mode != CrashMode::kLoseUnsynced && keep < pending.size() && pending[keep].data) {
      const std::string& data = *pending[keep].data;
      size_t torn = data.empty() ? 0 : rng_() % data.size();
      apply_write(&contents, pending[keep].offset, std::string_view(data).substr(0, torn));
    }
    inode->visible = contents;
    inode->durable = std::move(contents);
    pending.clear();
  }
  names_ = survivors;
  durable_names_ = std::move(survivors);
  ++generation_;
  halted_ = false;
  crash_at_.reset();
  failing_syncs_ = 0;
}

bool FaultFileSystem::exists(const std::string& path) const {
  return names_.count(path) != 0;
}

std::string FaultFileSystem::contents(const std::string& path) const {
  auto it = names_.find(path);
  return it == names_.end() ? std::string() : it->second->visible;
}

void FaultFileSystem::set_contents(const std::string& path, std::string data) {
  auto& inode = names_[path];
  if (!inode) inode = std::make_shared<Inode>();
  inode->visible = data;
  inode->durable = std::move(data);
  inode->pending.clear();
  durable_names_[path] = inode;
}

}  // namespace raftkv::storage
