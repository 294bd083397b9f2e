// RESP2 reply encoding. A RespWriter appends replies to a caller-owned buffer (typically a
// connection's output buffer), so a pipeline of replies is one contiguous write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace raftkv::kv {

class RespWriter {
 public:
  explicit RespWriter(std::string* out) : out_(out) {}

  // "+OK\r\n". The text must not contain CR or LF; any that do are replaced by spaces.
  void simple(std::string_view text);
  // "-ERR message\r\n". `message` starts with the error code ("ERR", "MOVED", ...);
  // CR and LF are replaced by spaces so the reply stays one line.
  void error(std::string_view message);
  void integer(int64_t value);
  void bulk(std::string_view value);
  void null_bulk();
  // Starts an array of `count` elements; the caller then writes exactly that many replies.
  void array_header(size_t count);
  void null_array();
  // A HELP subcommand's reply: one simple string per line, as Redis answers it.
  void help_lines(std::span<const std::string_view> lines);
  // Appends an already encoded reply (for example one returned by the state machine).
  void raw(std::string_view encoded) { out_->append(encoded); }

  std::string* buffer() const { return out_; }

 private:
  void line(char type, std::string_view text);
  void number_line(char type, int64_t value);

  std::string* out_;
};

// Convenience encoders returning a fresh string, for replies built in one piece.
std::string encode_simple(std::string_view text);
std::string encode_error(std::string_view message);
std::string encode_integer(int64_t value);
std::string encode_bulk(std::string_view value);
std::string encode_null_bulk();

}  // namespace raftkv::kv
