#include "kv/command_codec.h"

#include <gtest/gtest.h>

#include <random>

namespace raftkv::kv {
namespace {

TEST(CommandCodec, RoundTrips) {
  const std::vector<LogCommand> commands = {
      {0, 0, 0, {"SET", "k", "v"}},
      {1, 2, 1700000000000, {"SET", "k", std::string("\0\xff\r\n", 4)}},
      {UINT64_MAX, UINT64_MAX, UINT64_MAX, {"MSET", "", std::string(300, 'x')}},
  };
  for (const auto& c : commands) {
    const auto decoded = decode_log_command(encode_log_command(c));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, c);
  }
}

TEST(CommandCodec, RejectsMalformedBytes) {
  const std::string good = encode_log_command({3, 4, 5, {"SET", "k", "v"}});
  EXPECT_FALSE(decode_log_command(""));
  EXPECT_FALSE(decode_log_command(std::string(1, '\2') + good.substr(1)));  // version
  EXPECT_FALSE(decode_log_command(good + "x"));                             // trailing
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(decode_log_command(good.substr(0, n)));
  EXPECT_FALSE(decode_log_command(encode_log_command({0, 0, 0, {}})));  // empty argv
  // A huge argument count must be rejected without allocating for it.
  EXPECT_FALSE(decode_log_command(std::string("\x01\x00\x00\x00\xff\xff\xff\xff\x0f", 9)));
  // An over-long varint.
  EXPECT_FALSE(decode_log_command(std::string("\x01") + std::string(11, '\xff')));
}

TEST(CommandCodec, PeekFindsTheKeyWithoutDecodingTheRest) {
  EXPECT_EQ(peek_log_command_key(encode_log_command({1, 2, 3, {"SET", "key:1", "v"}})), "key:1");
  EXPECT_EQ(peek_log_command_key(encode_log_command({0, 0, 0, {"DEL", ""}})), "");
  EXPECT_FALSE(peek_log_command_key(encode_log_command({0, 0, 0, {"PING"}})));  // no key
  EXPECT_FALSE(peek_log_command_key(""));
  const std::string good = encode_log_command({3, 4, 5, {"GET", "abc"}});
  EXPECT_FALSE(peek_log_command_key(std::string(1, '\2') + good.substr(1)));  // version
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(peek_log_command_key(good.substr(0, n))) << "cut at " << n;
  }
}

TEST(CommandCodec, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : rng() % 4);
    if (!bytes.empty() && rng() % 2 == 0) bytes[0] = 1;
    const auto decoded = decode_log_command(bytes);
    if (decoded) {
      EXPECT_EQ(encode_log_command(*decoded), bytes);  // the encoding is canonical
      if (decoded->argv.size() >= 2) {
        EXPECT_EQ(peek_log_command_key(bytes), decoded->argv[1]);
      }
    }
  }
}

}  // namespace
}  // namespace raftkv::kv
