// The real file system, through POSIX calls (pwrite, fdatasync, rename, fsync of the
// directory). ENOSPC and EDQUOT map to kNoSpace, other errno values to kIoError.
#pragma once

#include "storage/file_system.h"

namespace raftkv::storage {

class PosixFileSystem : public FileSystem {
 public:
  Status open(const std::string& path, OpenMode mode, std::unique_ptr<File>* out) override;
  Status rename(const std::string& from, const std::string& to) override;
  Status remove(const std::string& path) override;
  Status list_dir(const std::string& dir, std::vector<std::string>* names) override;
  Status sync_dir(const std::string& dir) override;
  Status create_dir(const std::string& dir) override;
};

}  // namespace raftkv::storage
