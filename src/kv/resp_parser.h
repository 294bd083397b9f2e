// Incremental RESP2 request parser: feed it bytes as they arrive from a socket and it hands
// back every complete command, keeping any partial command for the next read.
//
// It accepts what Redis accepts: multibulk arrays of bulk strings ("*2\r\n$4\r\nECHO\r\n...")
// and inline commands ("ECHO \"a b\"\r\n", with Redis's quoting rules), any number of them
// per read (pipelining). Every dimension of the input is bounded by ParserLimits, so a
// hostile client cannot make it allocate beyond max_buffered_bytes plus one read.
//
// On malformed input feed() returns false and error() holds Redis's own reply text (for
// example "ERR Protocol error: invalid bulk length"). Commands completed earlier in the
// same read are still returned and should be executed and answered first; then the caller
// sends the error and closes the connection, as Redis does. A failed parser stays failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kv/argv.h"

namespace raftkv::kv {

struct ParserLimits {
  // Largest bulk string accepted (Redis: proto-max-bulk-len, 512 MiB).
  uint64_t max_bulk_len = uint64_t{512} << 20;
  // Most elements in one multibulk array (Redis accepts 1024*1024 before AUTH).
  uint64_t max_array_len = 1024 * 1024;
  // Longest inline command line, and longest "*N"/"$N" header line (Redis: 64 KiB).
  size_t max_inline_len = 64 * 1024;
  // Most bytes held for one client between reads: unparsed input plus the arguments of
  // the command being assembled (Redis: client-query-buffer-limit, 1 GiB).
  size_t max_buffered_bytes = size_t{1} << 30;
};

class RespParser {
 public:
  explicit RespParser(ParserLimits limits = {});

  // Consumes `bytes` and appends each complete command to `commands` (empty commands,
  // such as blank inline lines or "*0", produce nothing). Returns false on a protocol
  // error; see the file comment for what the caller does then.
  bool feed(std::string_view bytes, std::vector<Argv>* commands);

  bool failed() const { return !error_.empty(); }
  // The error reply text without the leading '-' and trailing CRLF.
  const std::string& error() const { return error_; }
  // The error was max_buffered_bytes (Redis's client-query-buffer-limit), on which Redis
  // closes the connection without a reply, rather than malformed input.
  bool buffer_limit_exceeded() const { return buffer_limit_exceeded_; }
  // Bytes currently held: unparsed input plus arguments of the command in progress.
  size_t buffered_bytes() const { return buffer_.size() - pos_ + partial_bytes_; }
  const ParserLimits& limits() const { return limits_; }
  // Room left in the input buffer before it must grow (CLIENT LIST's qbuf-free).
  size_t buffer_free() const { return buffer_.capacity() - buffer_.size(); }
  // New limits (CONFIG SET), checked from the next byte read on.
  void set_limits(const ParserLimits& limits) { limits_ = limits; }

 private:
  enum class Progress { kNeedMore, kContinue, kFailed };

  Progress parse_inline(std::vector<Argv>* commands);
  Progress parse_array_header();
  Progress parse_bulk_header();
  Progress parse_bulk_body(std::vector<Argv>* commands);
  // Finds the '\r' ending a header line that starts at pos_; `too_big` names the line in
  // the error raised when it exceeds max_inline_len. Returns npos when more input is needed
  // (or on failure, with error_ set).
  size_t find_header_end(const char* too_big);
  Progress fail(std::string message);

  ParserLimits limits_;
  std::string buffer_;  // input not yet consumed starts at pos_
  size_t pos_ = 0;

  // The multibulk command being assembled.
  bool in_array_ = false;
  uint64_t args_remaining_ = 0;
  int64_t bulk_len_ = -1;  // -1 until the next "$N" header is read
  Argv partial_;
  size_t partial_bytes_ = 0;

  std::string error_;
  bool buffer_limit_exceeded_ = false;
};

// Splits one inline command line the way redis-cli and Redis do (sdssplitargs): arguments
// separated by whitespace; "double quotes" with \n \r \t \b \a \\ \" \xHH escapes;
// 'single quotes' with only \' as escape; a closing quote must be followed by whitespace
// or the end. Returns false on unbalanced quotes.
bool split_inline_args(std::string_view line, Argv* args);

}  // namespace raftkv::kv
