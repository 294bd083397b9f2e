#include "kv/byte_codec.h"

namespace raftkv::kv {

void ByteWriter::varint_multibyte(uint64_t v) {
  while (v >= 0x80) {
    out_->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_->push_back(static_cast<char>(v));
}

void ByteWriter::fixed64(uint64_t v) {
  for (int i = 0; i < 8; ++i) out_->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

bool ByteReader::u8(uint8_t* v) {
  if (!ok_ || remaining() < 1) return fail();
  *v = static_cast<uint8_t>(in_[pos_++]);
  return true;
}

bool ByteReader::varint_multibyte(uint64_t* v) {
  if (!ok_) return false;
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (remaining() < 1) return fail();
    const auto byte = static_cast<uint8_t>(in_[pos_++]);
    // The tenth byte may only carry the top bit of a 64-bit value.
    if (shift == 63 && byte > 1) return fail();
    // A final zero byte after the first adds nothing: only the shortest form is accepted,
    // so every value has exactly one encoding.
    if (shift > 0 && byte == 0) return fail();
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return fail();
}

bool ByteReader::fixed64(uint64_t* v) {
  if (!ok_ || remaining() < 8) return fail();
  uint64_t result = 0;
  for (int i = 0; i < 8; ++i) {
    result |= static_cast<uint64_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
  }
  pos_ += 8;
  *v = result;
  return true;
}

}  // namespace raftkv::kv
