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
  void varint(uint64_t v) {
    if (v < 0x80) return out_->push_back(static_cast<char>(v));  // inline: most are one byte
    varint_multibyte(v);
  }
  void fixed64(uint64_t v);
  void bytes(std::string_view s) {  // varint length, then the bytes
    varint(s.size());
    out_->append(s);
  }
  void raw(std::string_view s) { out_->append(s); }

 private:
  void varint_multibyte(uint64_t v);

  std::string* out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  // Each returns false (and leaves the reader failed) when the input is too short or
  // malformed; a failed reader fails every later call.
  bool u8(uint8_t* v);
  bool varint(uint64_t* v) {
    // Inline for the common one-byte value (lengths, counts, small ids).
    if (ok_ && pos_ < in_.size() && (static_cast<uint8_t>(in_[pos_]) & 0x80) == 0) {
      *v = static_cast<uint8_t>(in_[pos_++]);
      return true;
    }
    return varint_multibyte(v);
  }
  bool fixed64(uint64_t* v);
  bool bytes(std::string_view* s) {  // a view into the input
    uint64_t len = 0;
    return varint(&len) && raw(len, s);
  }
  bool raw(size_t n, std::string_view* s) {
    if (!ok_ || remaining() < n) return fail();
    *s = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }

  size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return ok_ && pos_ == in_.size(); }
  bool ok() const { return ok_; }

 private:
  bool varint_multibyte(uint64_t* v);
  bool fail() {
    ok_ = false;
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace raftkv::kv
