#include "kv/resp_writer.h"

#include <gtest/gtest.h>

#include <limits>

namespace raftkv::kv {
namespace {

TEST(RespWriter, EncodesEveryReplyType) {
  std::string out;
  RespWriter w(&out);
  w.simple("OK");
  w.error("ERR bad thing");
  w.integer(0);
  w.integer(-42);
  w.integer(std::numeric_limits<int64_t>::min());
  w.bulk("hello");
  w.bulk("");
  w.null_bulk();
  w.array_header(2);
  w.bulk("a");
  w.integer(1);
  w.null_array();
  EXPECT_EQ(out,
            "+OK\r\n-ERR bad thing\r\n:0\r\n:-42\r\n:-9223372036854775808\r\n$5\r\nhello\r\n"
            "$0\r\n\r\n$-1\r\n*2\r\n$1\r\na\r\n:1\r\n*-1\r\n");
}

TEST(RespWriter, LineRepliesNeverContainNewlines) {
  EXPECT_EQ(encode_error("ERR a\r\nb"), "-ERR a  b\r\n");
  EXPECT_EQ(encode_simple("x\ny"), "+x y\r\n");
}

TEST(RespWriter, BulkIsBinarySafe) {
  EXPECT_EQ(encode_bulk(std::string("a\0\r\n", 4)), std::string("$4\r\na\0\r\n\r\n", 10));
}

}  // namespace
}  // namespace raftkv::kv
