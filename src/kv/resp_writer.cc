#include "kv/resp_writer.h"

#include <charconv>

namespace raftkv::kv {

void RespWriter::line(char type, std::string_view text) {
  const size_t start = out_->size();
  out_->reserve(start + text.size() + 3);
  out_->push_back(type);
  out_->append(text);
  // Status and error lines cannot carry CR/LF: a client would read them as the end.
  for (size_t i = start + 1; i < out_->size(); ++i) {
    char& c = (*out_)[i];
    if (c == '\r' || c == '\n') c = ' ';
  }
  out_->append("\r\n");
}

void RespWriter::number_line(char type, int64_t value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof digits, value);
  out_->push_back(type);
  out_->append(digits, result.ptr);
  out_->append("\r\n");
}

void RespWriter::simple(std::string_view text) {
  line('+', text);
}

void RespWriter::error(std::string_view message) {
  line('-', message);
}

void RespWriter::integer(int64_t value) {
  number_line(':', value);
}

void RespWriter::bulk(std::string_view value) {
  out_->reserve(out_->size() + value.size() + 16);
  number_line('$', static_cast<int64_t>(value.size()));
  out_->append(value);
  out_->append("\r\n");
}

void RespWriter::null_bulk() {
  out_->append("$-1\r\n");
}

void RespWriter::array_header(size_t count) {
  number_line('*', static_cast<int64_t>(count));
}

void RespWriter::null_array() {
  out_->append("*-1\r\n");
}

std::string encode_simple(std::string_view text) {
  std::string out;
  RespWriter(&out).simple(text);
  return out;
}

std::string encode_error(std::string_view message) {
  std::string out;
  RespWriter(&out).error(message);
  return out;
}

std::string encode_integer(int64_t value) {
  std::string out;
  RespWriter(&out).integer(value);
  return out;
}

std::string encode_bulk(std::string_view value) {
  std::string out;
  RespWriter(&out).bulk(value);
  return out;
}

std::string encode_null_bulk() {
  return "$-1\r\n";
}

void RespWriter::help_lines(std::span<const std::string_view> lines) {
  array_header(lines.size());
  for (std::string_view line : lines) simple(line);
}

}  // namespace raftkv::kv
