#include "net/frame.h"

#include "net/byte_order.h"

namespace raftkv::net {

std::string make_frame(std::string_view payload) {
  std::string frame;
  frame.reserve(kFrameHeaderBytes + payload.size());
  append_big_endian(static_cast<uint32_t>(payload.size()), &frame);
  frame.append(payload);
  return frame;
}

void FrameReader::append(std::string_view bytes) {
  // Compacting only here keeps views from next() valid until the caller feeds more bytes.
  if (consumed_ > 0) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  buffer_.append(bytes);
}

FrameReader::Next FrameReader::next(std::string_view* payload) {
  const std::string_view rest = std::string_view(buffer_).substr(consumed_);
  if (rest.size() < kFrameHeaderBytes) return Next::kNeedMore;
  const uint32_t length = load_big_endian<uint32_t>(rest);
  if (length > max_frame_bytes_) return Next::kTooLarge;
  if (rest.size() - kFrameHeaderBytes < length) return Next::kNeedMore;
  *payload = rest.substr(kFrameHeaderBytes, length);
  consumed_ += kFrameHeaderBytes + length;
  return Next::kFrame;
}

}  // namespace raftkv::net
