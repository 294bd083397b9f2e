#include "net/frame.h"

#include <gtest/gtest.h>

namespace raftkv::net {
namespace {

TEST(BuildFrame, EqualsMakeFrameOfThePayloadAtEverySize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{255}, size_t{256}, size_t{65536}, size_t{70001}}) {
    const std::string payload(n, 'p');
    std::string frame = "leftover bytes are replaced";
    EXPECT_EQ(build_frame(&frame, [&](std::string* out) { out->append(payload); }), n);
    EXPECT_EQ(frame, make_frame(payload)) << n;
  }
}

TEST(FrameReader, ReassemblesFramesFedOneByteAtATime) {
  const std::string stream = make_frame("hello") + make_frame("") + make_frame("world!");
  FrameReader reader(1024);
  std::vector<std::string> got;
  for (char c : stream) {
    reader.append(std::string_view(&c, 1));
    std::string_view payload;
    while (reader.next(&payload) == FrameReader::Next::kFrame) got.emplace_back(payload);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "", "world!"}));
  EXPECT_EQ(reader.buffered_bytes(), 0u);
}

TEST(FrameReader, ReturnsSeveralFramesFromOneRead) {
  FrameReader reader(1024);
  reader.append(make_frame("a") + make_frame("bc") + "\0\0");
  std::string_view first, second, third;
  ASSERT_EQ(reader.next(&first), FrameReader::Next::kFrame);
  ASSERT_EQ(reader.next(&second), FrameReader::Next::kFrame);
  EXPECT_EQ(first, "a");  // earlier views stay valid until the next append
  EXPECT_EQ(second, "bc");
  EXPECT_EQ(reader.next(&third), FrameReader::Next::kNeedMore);
}

TEST(FrameReader, ReportsAnOversizedLengthWithoutWaitingForItsBytes) {
  FrameReader reader(16);
  reader.append(std::string("\x7f\xff\xff\xff", 4));
  std::string_view payload;
  EXPECT_EQ(reader.next(&payload), FrameReader::Next::kTooLarge);
}

TEST(FrameReader, LimitChangeAppliesToLaterFrames) {
  FrameReader reader(4);
  reader.append(make_frame("1234") + make_frame("12345"));
  std::string_view payload;
  ASSERT_EQ(reader.next(&payload), FrameReader::Next::kFrame);
  reader.set_max_frame_bytes(8);
  ASSERT_EQ(reader.next(&payload), FrameReader::Next::kFrame);
  EXPECT_EQ(payload, "12345");
}

}  // namespace
}  // namespace raftkv::net
