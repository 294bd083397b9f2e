// Length-prefixed framing on a byte stream: each frame is a u32 big-endian payload length
// followed by that many payload bytes (a handshake or an encoded raft::Message).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/byte_order.h"

namespace raftkv::net {

inline constexpr size_t kFrameHeaderBytes = 4;

// Returns header + payload as one buffer, ready to be written.
std::string make_frame(std::string_view payload);

// Builds a frame in place: `write_payload(&frame)` appends the payload after a header
// placeholder, which is then filled in. Returns the payload's size.
template <typename WritePayload>
size_t build_frame(std::string* frame, WritePayload&& write_payload) {
  frame->assign(kFrameHeaderBytes, '\0');
  write_payload(frame);
  const size_t n = frame->size() - kFrameHeaderBytes;
  std::string header;  // the same encoding as make_frame's (fits the inline buffer)
  append_big_endian(static_cast<uint32_t>(n), &header);
  frame->replace(0, kFrameHeaderBytes, header);
  return n;
}

// Splits a byte stream, fed in arbitrary pieces, into frame payloads. A length above the
// limit is reported instead of buffered, so a hostile peer cannot make us allocate it.
class FrameReader {
 public:
  enum class Next {
    kFrame,     // *payload holds a complete payload
    kNeedMore,  // feed more bytes
    kTooLarge,  // the stream announced a frame above the limit; it cannot be resynchronised
  };

  explicit FrameReader(uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Applies to frames not yet started (the handshake uses a smaller limit than messages).
  void set_max_frame_bytes(uint32_t max) { max_frame_bytes_ = max; }

  // Invalidates payloads returned by next().
  void append(std::string_view bytes);

  // On kFrame, *payload views the reader's buffer and stays valid until the next append().
  Next next(std::string_view* payload);

  size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  uint32_t max_frame_bytes_;
  std::string buffer_;
  size_t consumed_ = 0;  // bytes at the front of buffer_ already returned as frames
};

}  // namespace raftkv::net
