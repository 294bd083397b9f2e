// A small status type for expected failures (bad input, corrupt bytes). Errors that are a
// client's fault are reported with it; exceptions are kept for programming errors only.
#pragma once

#include <string>
#include <utility>

namespace raftkv::kv {

class Status {
 public:
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !failed_; }
  explicit operator bool() const { return is_ok(); }
  const std::string& message() const { return message_; }

 private:
  Status() = default;
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

}  // namespace raftkv::kv
