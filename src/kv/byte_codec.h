// Little binary building blocks shared by the log entry and snapshot formats: LEB128
// varints, length-prefixed byte strings and fixed 64-bit little-endian words. The reader
// never reads past its input and never trusts a length it has not checked against the
// bytes that remain, so decoding garbage fails cleanly instead of crashing or allocating.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace raftkv::kv {

class ByteWriter {
 public:
  explicit ByteWriter(std::string* out) : out_(out) {}

  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void varint(uint64_t v);
  void fixed64(uint64_t v);
  void bytes(std::string_view s);  // varint length, then the bytes
  void raw(std::string_view s) { out_->append(s); }

 private:
  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  // Each returns false (and leaves the reader failed) when the input is too short or
  // malformed; a failed reader fails every later call.
  bool u8(uint8_t* v);
  bool varint(uint64_t* v);
  bool fixed64(uint64_t* v);
  bool bytes(std::string_view* s);  // a view into the input
  bool raw(size_t n, std::string_view* s);

  size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace raftkv::kv
