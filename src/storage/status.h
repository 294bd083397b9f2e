// Result of a storage operation that can fail for expected reasons (I/O errors, a full disk,
// corrupt data). Storage code never throws for these; it returns a Status.
#pragma once

#include <string>
#include <utility>

namespace raftkv::storage {

enum class StatusCode {
  kOk,
  kIoError,          // the OS reported an error (EIO, a failed fsync, ...)
  kNoSpace,          // ENOSPC / EDQUOT: the disk is full
  kCorruption,       // on-disk data fails a checksum or does not make sense
  kNotFound,         // a file or directory does not exist
  kInvalidArgument,  // the caller asked for something impossible
  kFailed,           // an earlier write failed; the storage refuses further writes
};

const char* to_string(StatusCode c);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status Failed(std::string m) { return {StatusCode::kFailed, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "corruption: 0000000000000001.wal offset 4096: bad record checksum"
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace raftkv::storage

// Propagates a failed Status to the caller.
#define RAFTKV_RETURN_IF_ERROR(expr)            \
  do {                                          \
    ::raftkv::storage::Status status_ = (expr); \
    if (!status_.ok()) return status_;          \
  } while (0)
