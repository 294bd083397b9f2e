#include "storage/posix_file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace raftkv::storage {
namespace {

// strerror() may return a buffer shared by all threads, and storage errors are reported
// from more than one (the disk thread among them): strerror_r writes to ours. glibc's GNU
// variant returns the message (maybe a static string, not `buf`); the XSI variant returns
// 0 and fills `buf`.
[[maybe_unused]] const char* strerror_result(const char* message, const char*) {
  return message;
}
[[maybe_unused]] const char* strerror_result(int, const char* buf) {
  return buf;
}

std::string error_text(int err) {
  char buf[256] = "unknown error";
  return strerror_result(::strerror_r(err, buf, sizeof buf), buf);
}

Status errno_status(const std::string& what, int err) {
  std::string msg = what + ": " + error_text(err);
  if (err == ENOSPC || err == EDQUOT) return Status::NoSpace(msg);
  if (err == ENOENT) return Status::NotFound(msg);
  return Status::IoError(msg);
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class PosixFile : public File {
 public:
  PosixFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  Status append(std::string_view data) override {
    off_t end = ::lseek(fd_.get(), 0, SEEK_END);
    if (end < 0) return errno_status("lseek " + path_, errno);
    return write_at(static_cast<uint64_t>(end), data);
  }

  Status write_at(uint64_t offset, std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::pwrite(fd_.get(), data.data(), data.size(), static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("write " + path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));
      offset += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status read_at(uint64_t offset, size_t n, std::string* out) override {
    out->resize(n);
    size_t done = 0;
    while (done < n) {
      ssize_t r =
          ::pread(fd_.get(), out->data() + done, n - done, static_cast<off_t>(offset + done));
      if (r < 0) {
        if (errno == EINTR) continue;
        return errno_status("read " + path_, errno);
      }
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out->resize(done);
    return Status::Ok();
  }

  Status sync() override {
    if (::fdatasync(fd_.get()) != 0) return errno_status("fdatasync " + path_, errno);
    return Status::Ok();
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_.get(), static_cast<off_t>(size)) != 0) {
      return errno_status("ftruncate " + path_, errno);
    }
    return Status::Ok();
  }
  Status allocate(uint64_t size) override {
    if (::fallocate(fd_.get(), 0, 0, static_cast<off_t>(size)) == 0) return Status::Ok();
    int err = errno;
    if (err != EOPNOTSUPP && err != ENOSYS) return errno_status("fallocate " + path_, err);
    // No fallocate on this file system: a sparse extension still reads as zeros.
    uint64_t current = 0;
    RAFTKV_RETURN_IF_ERROR(this->size(&current));
    return current >= size ? Status::Ok() : truncate(size);
  }

  Status size(uint64_t* out) override {
    struct stat st;
    if (::fstat(fd_.get(), &st) != 0) return errno_status("fstat " + path_, errno);
    *out = static_cast<uint64_t>(st.st_size);
    return Status::Ok();
  }

 private:
  std::string path_;
  Fd fd_;
};

}  // namespace

Status PosixFileSystem::open(const std::string& path, OpenMode mode, std::unique_ptr<File>* out) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::kReadOnly:
      flags |= O_RDONLY;
      break;
    case OpenMode::kReadWrite:
      flags |= O_RDWR;
      break;
    case OpenMode::kCreate:
      flags |= O_RDWR | O_CREAT;
      break;
    case OpenMode::kCreateTruncate:
      flags |= O_RDWR | O_CREAT | O_TRUNC;
      break;
  }
  // Owner only: the log and snapshots hold all the data (Redis leaves this to the umask;
  // raftkv does not, as nothing else needs to read them).
  int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return errno_status("open " + path, errno);
  *out = std::make_unique<PosixFile>(path, fd);
  return Status::Ok();
}

Status PosixFileSystem::rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return errno_status("rename " + from + " -> " + to, errno);
  }
  return Status::Ok();
}

Status PosixFileSystem::remove(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return errno_status("unlink " + path, errno);
  return Status::Ok();
}

Status PosixFileSystem::list_dir(const std::string& dir, std::vector<std::string>* names) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return errno_status("opendir " + dir, errno);
  names->clear();
  errno = 0;
  // readdir is safe on a DIR* that one thread owns (POSIX.1-2008); readdir_r, which the
  // check suggests, is deprecated.
  while (struct dirent* ent = ::readdir(d)) {  // NOLINT(concurrency-mt-unsafe)
    std::string name = ent->d_name;
    if (name != "." && name != "..") names->push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) return errno_status("readdir " + dir, err);
  return Status::Ok();
}

Status PosixFileSystem::sync_dir(const std::string& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno_status("open dir " + dir, errno);
  if (::fsync(fd.get()) != 0) return errno_status("fsync dir " + dir, errno);
  return Status::Ok();
}

Status PosixFileSystem::create_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return errno_status("mkdir " + dir, errno);
  }
  return Status::Ok();
}

}  // namespace raftkv::storage
