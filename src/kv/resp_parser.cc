#include "kv/resp_parser.h"

#include <algorithm>
#include <utility>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kProtocolError = "ERR Protocol error: ";

// Arrays announce their size before their elements arrive; reserve at most this many
// slots up front so a hostile "*1000000" costs nothing until the elements really come.
constexpr uint64_t kMaxArgvReserve = 64;

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A header's count is nearly always a short run of digits: read that inline, and leave
// signs, leading zeros, overflow and junk to parse_int64 (which costs ~60 instructions, and
// a GET has three headers).
std::optional<int64_t> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 18 || s[0] < '1' || s[0] > '9') return parse_int64(s);
  int64_t value = 0;
  for (const char ch : s) {
    if (ch < '0' || ch > '9') return parse_int64(s);
    value = value * 10 + (ch - '0');
  }
  return value;
}

}  // namespace

bool split_inline_args(std::string_view line, Argv* args) {
  // Redis works on a C string: a NUL byte ends the line.
  line = line.substr(0, std::min(line.find('\0'), line.size()));
  size_t i = 0;
  const size_t n = line.size();
  auto at = [&](size_t k) { return k < n ? line[k] : '\0'; };
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i == n) return true;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && hex_value(at(i + 2)) >= 0 &&
            hex_value(at(i + 3)) >= 0) {
          current.push_back(static_cast<char>(hex_value(at(i + 2)) * 16 + hex_value(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          switch (line[i]) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(line[i]);
              break;
          }
        } else if (c == '"') {
          // A closing quote must be followed by a space or nothing at all.
          if (at(i + 1) != '\0' && !is_space(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !is_space(at(i + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (i < n) ++i;
    }
    args->push_back(std::move(current));
  }
}

RespParser::RespParser(ParserLimits limits) : limits_(limits) {}

RespParser::Progress RespParser::fail(std::string message) {
  error_ = std::string(kProtocolError) + message;
  return Progress::kFailed;
}

bool RespParser::feed(std::string_view bytes, std::vector<Argv>* commands) {
  if (failed()) return false;
  buffer_.append(bytes);
  Progress progress = Progress::kContinue;
  while (progress == Progress::kContinue) {
    if (!in_array_) {
      if (pos_ == buffer_.size()) break;
      progress = buffer_[pos_] == '*' ? parse_array_header() : parse_inline(commands);
    } else if (bulk_len_ < 0) {
      progress = parse_bulk_header();
    } else {
      progress = parse_bulk_body(commands);
    }
  }
  if (progress == Progress::kFailed) return false;
  // Keep only the unconsumed tail; it is at most one partial command.
  buffer_.erase(0, pos_);
  pos_ = 0;
  if (buffered_bytes() > limits_.max_buffered_bytes) {
    buffer_limit_exceeded_ = true;
    fail("client query buffer exceeds its limit");
    return false;
  }
  return true;
}

RespParser::Progress RespParser::parse_inline(std::vector<Argv>* commands) {
  const size_t newline = buffer_.find('\n', pos_);
  // The line's length counts everything before '\n' (a trailing '\r' too), so the limit
  // triggers the same way whether the line arrives whole or a byte at a time.
  const size_t line_len = (newline == std::string::npos ? buffer_.size() : newline) - pos_;
  if (line_len > limits_.max_inline_len) return fail("too big inline request");
  if (newline == std::string::npos) return Progress::kNeedMore;

  std::string_view line(buffer_.data() + pos_, line_len);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  Argv args;
  if (!split_inline_args(line, &args)) return fail("unbalanced quotes in request");
  pos_ = newline + 1;
  if (!args.empty()) commands->push_back(std::move(args));
  return Progress::kContinue;
}

size_t RespParser::find_header_end(const char* too_big) {
  const size_t cr = buffer_.find('\r', pos_);
  const size_t line_len = (cr == std::string::npos ? buffer_.size() : cr) - pos_;
  if (line_len > limits_.max_inline_len) {
    fail(too_big);
    return std::string::npos;
  }
  // Like Redis, the byte after '\r' is taken to be '\n' without looking at it.
  if (cr == std::string::npos || cr + 1 >= buffer_.size()) return std::string::npos;
  return cr;
}

RespParser::Progress RespParser::parse_array_header() {
  const size_t cr = find_header_end("too big mbulk count string");
  if (cr == std::string::npos) return failed() ? Progress::kFailed : Progress::kNeedMore;
  const auto count = parse_count(std::string_view(buffer_).substr(pos_ + 1, cr - pos_ - 1));
  if (!count || (*count > 0 && static_cast<uint64_t>(*count) > limits_.max_array_len)) {
    return fail("invalid multibulk length");
  }
  pos_ = cr + 2;
  if (*count <= 0) return Progress::kContinue;  // "*0" and "*-1" are empty commands
  in_array_ = true;
  args_remaining_ = static_cast<uint64_t>(*count);
  bulk_len_ = -1;
  partial_.clear();
  partial_.reserve(std::min(args_remaining_, kMaxArgvReserve));
  partial_bytes_ = 0;
  return Progress::kContinue;
}

RespParser::Progress RespParser::parse_bulk_header() {
  const size_t cr = find_header_end("too big bulk count string");
  if (cr == std::string::npos) return failed() ? Progress::kFailed : Progress::kNeedMore;
  if (buffer_[pos_] != '$') {
    std::string got = "expected '$', got '";
    // An error line must not contain CR or LF (Redis replaces them with spaces).
    const char c = buffer_[pos_];
    got.push_back(c == '\r' || c == '\n' ? ' ' : c);
    got.push_back('\'');
    return fail(std::move(got));
  }
  const auto len = parse_count(std::string_view(buffer_).substr(pos_ + 1, cr - pos_ - 1));
  if (!len || *len < 0 || static_cast<uint64_t>(*len) > limits_.max_bulk_len) {
    return fail("invalid bulk length");
  }
  pos_ = cr + 2;
  bulk_len_ = *len;
  return Progress::kContinue;
}

RespParser::Progress RespParser::parse_bulk_body(std::vector<Argv>* commands) {
  const uint64_t needed = static_cast<uint64_t>(bulk_len_) + 2;  // payload and CRLF
  if (buffer_.size() - pos_ < needed) return Progress::kNeedMore;
  // Like Redis, the two bytes after the payload are skipped without checking for CRLF.
  partial_.emplace_back(buffer_, pos_, static_cast<size_t>(bulk_len_));
  partial_bytes_ += static_cast<size_t>(bulk_len_);
  pos_ += static_cast<size_t>(needed);
  bulk_len_ = -1;
  if (--args_remaining_ == 0) {
    commands->push_back(std::move(partial_));
    partial_ = Argv();
    partial_bytes_ = 0;
    in_array_ = false;
  }
  return Progress::kContinue;
}

}  // namespace raftkv::kv
