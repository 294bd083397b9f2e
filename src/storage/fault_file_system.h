// An in-memory file system that models what survives a crash, and injects faults, for the
// storage tests and the deterministic simulator. Deterministic: the same seed and the same
// sequence of calls give the same results.
//
// Model. Every file keeps its visible contents (what reads return) and its durable contents
// (what a crash leaves). File::sync() makes the visible contents durable; the writes and
// truncations since the last sync are pending. Names live in a visible and a durable
// namespace; sync_dir(dir) makes the visible names in dir durable. crash() throws away the
// visible state as a power cut would, according to a CrashMode, and invalidates every open
// File (their calls fail from then on).
//
// Faults. A capacity (bytes across all files) makes writes past it fail with kNoSpace. Syncs
// can be made to fail with kIoError, either the next N or at random; as on Linux, a failed
// sync drops the pending writes from what a later sync or crash can make durable, while reads
// still return them. crash_after(n) lets n more mutating calls succeed and then fails every
// call with kIoError until crash() is called: this is how tests "pull the plug" after each
// write and each sync of an operation sequence.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "storage/file_system.h"

namespace raftkv::storage {

enum class CrashMode {
  kLoseUnsynced,   // only synced data and synced names survive
  kTornLastWrite,  // every pending change survives, except that the last pending write to
                   // each file keeps only a random prefix (possibly empty); all names survive
  kRandom,         // each file keeps a random prefix of its pending changes, the last one
                   // possibly torn; each directory keeps its visible or its durable names
};

class FaultFileSystem : public FileSystem {
 public:
  explicit FaultFileSystem(uint64_t seed);
  ~FaultFileSystem() override;

  Status open(const std::string& path, OpenMode mode, std::unique_ptr<File>* out) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status list_dir(const std::string& dir, std::vector<std::string>* names) override;
  Status sync_dir(const std::string& dir) override;
  Status create_dir(const std::string& dir) override;

  // --- faults ---
  void set_capacity(std::optional<uint64_t> bytes) { capacity_ = bytes; }
  void fail_next_syncs(int n) { failing_syncs_ = n; }
  // Probability that any one sync (file or directory) fails, drawn from the seeded generator.
  void set_sync_failure_rate(double p) { sync_failure_rate_ = p; }
  // After `ops` more mutating calls succeed, every call fails until crash().
  void crash_after(uint64_t ops) { crash_at_ = mutating_ops_ + ops; }
  void crash(CrashMode mode);

  // --- inspection and tampering, for tests ---
  uint64_t mutating_ops() const { return mutating_ops_; }
  bool halted() const { return halted_; }
  bool exists(const std::string& path) const;
  // Visible contents; empty if the file does not exist.
  std::string contents(const std::string& path) const;
  // Replaces a file's contents, durably (as if written and synced long ago).
  void set_contents(const std::string& path, std::string data);

 private:
  class MemFile;
  struct Inode;

  Status check_alive();     // fails once halted by crash_after
  Status begin_mutation();  // check_alive, then count the call toward crash_after
  Status maybe_fail_sync(const std::string& what);
  Status write(Inode* inode, const std::string& path, uint64_t offset, std::string_view data);
  Status sync_file(Inode* inode, const std::string& path);
  Status truncate(Inode* inode, const std::string& path, uint64_t size);
  Status allocate(Inode* inode, const std::string& path, uint64_t size);
  uint64_t used_bytes() const;

  std::mt19937_64 rng_;
  std::map<std::string, std::shared_ptr<Inode>> names_;          // visible
  std::map<std::string, std::shared_ptr<Inode>> durable_names_;  // as of the last sync_dir
  std::map<std::string, bool> dirs_;                             // created directories
  uint64_t generation_ = 0;  // bumped by crash(); files opened earlier stop working
  std::optional<uint64_t> capacity_;
  int failing_syncs_ = 0;
  double sync_failure_rate_ = 0;
  uint64_t mutating_ops_ = 0;
  std::optional<uint64_t> crash_at_;
  bool halted_ = false;
};

}  // namespace raftkv::storage
