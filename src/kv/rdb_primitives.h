// The building blocks of Redis's RDB value encoding (rdb.c, listpack.c, ziplist.c, intset.c)
// that DUMP writes and RESTORE reads: lengths, strings (raw, integer, LZF-compressed),
// doubles, and the compact blobs (listpack, ziplist, intset) that collections nest in a
// string. The reader never reads past its input and never trusts a length it has not checked
// against the bytes left, so a corrupt payload fails cleanly (rdb_codec.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raftkv::kv {

class RdbReader {
 public:
  explicit RdbReader(std::string_view in) : in_(in) {}

  // Each returns false, and leaves the reader failed, on malformed or short input.
  bool u8(uint8_t* v);
  bool raw(size_t n, std::string_view* out);
  bool fixed_le(int bytes, uint64_t* v);
  // A length (rdbLoadLen); fails on an encoded (special) length.
  bool length(uint64_t* v);
  // A count of items that each take at least `min_bytes`: a length no larger than that.
  bool count(uint64_t* v, size_t min_bytes = 1);
  // A string in any encoding (rdbGenericLoadStringObject).
  bool string(std::string* out);
  // Type 3 zsets' scores: a length byte and ASCII, or 253/254/255 for nan/+inf/-inf.
  bool ascii_double(double* v);
  bool binary_double(double* v);  // 8 bytes little-endian IEEE-754

  size_t remaining() const { return in_.size() - pos_; }
  bool ok() const { return ok_; }
  bool fail() {
    ok_ = false;
    return false;
  }

 private:
  // The raw length byte(s): `encoded` set for the special string encodings.
  bool length_or_encoding(uint64_t* v, bool* encoded);
  bool lzf_string(std::string* out);

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class RdbWriter {
 public:
  explicit RdbWriter(std::string* out) : out_(out) {}

  void u8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void fixed_le(int bytes, uint64_t v);
  void length(uint64_t v);
  // A string, integer-encoded when Redis would (a canonical integer that fits 32 bits).
  void string(std::string_view s);
  // A string never integer-encoded (listpack and intset blobs), LZF-compressed as Redis
  // does when that is shorter.
  void blob(std::string_view s);
  void binary_double(double v);
  void raw(std::string_view s) { out_->append(s); }

 private:
  bool lzf(std::string_view s);

  std::string* out_;
};

// The elements of a listpack (integers as decimal strings); nothing unless the blob is one
// well-formed listpack (header size, entry encodings, back-lengths, count and terminator).
std::optional<std::vector<std::string>> parse_listpack(std::string_view blob);
// The same for a ziplist (RDB versions before 10).
std::optional<std::vector<std::string>> parse_ziplist(std::string_view blob);
// The members of an intset as decimal strings: sorted, unique, well-formed, or nothing.
std::optional<std::vector<std::string>> parse_intset(std::string_view blob);

// Builds a listpack as Redis does: canonical integers integer-encoded, the rest as strings.
class ListpackWriter {
 public:
  void append(std::string_view element);
  void append_int(int64_t v);
  size_t bytes() const { return entries_.size() + 7; }
  std::string finish() const;  // header + entries + terminator

 private:
  void append_entry(std::string_view encoded);
  std::string entries_;
  size_t count_ = 0;
};

// An intset of these canonical integers (ascending, unique).
std::string build_intset(std::span<const int64_t> values);

// The integer the string is in canonical form (what Redis stores as one), if any.
std::optional<int64_t> canonical_int(std::string_view s);

}  // namespace raftkv::kv
