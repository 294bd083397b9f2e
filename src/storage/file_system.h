// The file operations the write-ahead log needs, behind an interface so tests and the
// deterministic simulator can substitute a fault-injecting in-memory file system
// (fault_file_system.h) for the real one (posix_file_system.h).
//
// Durability model (the one POSIX gives on Linux, and the one the fake enforces):
//   - data written to a file is durable only after File::sync() returns ok;
//   - a created, renamed or removed name is durable only after sync_dir() of its directory;
//   - after a failed sync() the unsynced data may be lost even though reads still return it,
//     so a caller must not retry the sync and treat the data as durable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace raftkv::storage {

enum class OpenMode {
  kReadOnly,        // must exist
  kReadWrite,       // must exist
  kCreate,          // read-write; created empty if missing
  kCreateTruncate,  // read-write; created if missing, emptied if present
};

// An open file. Not thread-safe; one user at a time.
class File {
 public:
  virtual ~File() = default;

  // Writes at the current end of the file.
  virtual Status append(std::string_view data) = 0;
  virtual Status write_at(uint64_t offset, std::string_view data) = 0;
  // Reads up to n bytes at offset into *out (fewer at the end of the file).
  virtual Status read_at(uint64_t offset, size_t n, std::string* out) = 0;
  // fdatasync: the file's data and size are durable once this returns ok.
  virtual Status sync() = 0;
  virtual Status truncate(uint64_t size) = 0;
  // Makes the file at least `size` bytes long, the new bytes reading as zeros, with their
  // space reserved where the file system can (fallocate): later writes inside it change no
  // file size, so their fdatasync need not commit the file system's journal. Fails with
  // kNoSpace when the disk cannot hold it. Durable with the next sync().
  virtual Status allocate(uint64_t size) = 0;
  virtual Status size(uint64_t* out) = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  virtual Status open(const std::string& path, OpenMode mode, std::unique_ptr<File>* out) = 0;
  // Atomically replaces `to` with `from` (durable after sync_dir).
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;
  // Names (not paths) of the entries in dir, in no particular order.
  virtual Status list_dir(const std::string& dir, std::vector<std::string>* names) = 0;
  // Makes creations, renames and removals of names in dir durable.
  virtual Status sync_dir(const std::string& dir) = 0;
  // Creates dir (one level); ok if it already exists.
  virtual Status create_dir(const std::string& dir) = 0;
};

std::string join_path(const std::string& dir, const std::string& name);

// Reads a whole file into *out.
Status read_file(FileSystem* fs, const std::string& path, std::string* out);

// Replaces dir/name with `data` so that after a crash the file holds either its old or its new
// contents in full: write dir/name.tmp, sync it, rename over dir/name, sync dir.
Status write_file_atomically(FileSystem* fs, const std::string& dir, const std::string& name,
                             std::string_view data);

}  // namespace raftkv::storage
