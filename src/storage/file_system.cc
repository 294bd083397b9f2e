#include "storage/file_system.h"

namespace raftkv::storage {

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (dir.back() == '/') return dir + name;
  return dir + "/" + name;
}

Status read_file(FileSystem* fs, const std::string& path, std::string* out) {
  std::unique_ptr<File> f;
  RAFTKV_RETURN_IF_ERROR(fs->open(path, OpenMode::kReadOnly, &f));
  uint64_t size = 0;
  RAFTKV_RETURN_IF_ERROR(f->size(&size));
  RAFTKV_RETURN_IF_ERROR(f->read_at(0, size, out));
  if (out->size() != size) return Status::IoError(path + ": short read");
  return Status::Ok();
}

Status write_file_atomically(FileSystem* fs, const std::string& dir, const std::string& name,
                             std::string_view data) {
  std::string tmp = join_path(dir, name + ".tmp");
  std::unique_ptr<File> f;
  RAFTKV_RETURN_IF_ERROR(fs->open(tmp, OpenMode::kCreateTruncate, &f));
  RAFTKV_RETURN_IF_ERROR(f->append(data));
  RAFTKV_RETURN_IF_ERROR(f->sync());
  f.reset();
  RAFTKV_RETURN_IF_ERROR(fs->rename(tmp, join_path(dir, name)));
  return fs->sync_dir(dir);
}

}  // namespace raftkv::storage
