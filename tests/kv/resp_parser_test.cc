// RESP request parsing: accepted forms, every error path with Redis's own text, and the
// property that splitting the input at any byte boundary changes nothing.
#include "kv/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace raftkv::kv {
namespace {

// Small limits so the bound checks are cheap to reach.
ParserLimits test_limits() {
  ParserLimits limits;
  limits.max_bulk_len = 1000;
  limits.max_array_len = 100;
  limits.max_inline_len = 200;
  limits.max_buffered_bytes = 4096;
  return limits;
}

struct Outcome {
  std::vector<Argv> commands;
  std::string error;  // empty when the input parsed (completely or partially) without error
  size_t buffered = 0;
};

// Feeds `input` in chunks of `chunk` bytes (0: all at once).
Outcome parse(std::string_view input, size_t chunk = 0, ParserLimits limits = test_limits()) {
  RespParser parser(limits);
  Outcome outcome;
  if (chunk == 0) chunk = input.size() + 1;
  for (size_t at = 0; at < input.size(); at += chunk) {
    if (!parser.feed(input.substr(at, chunk), &outcome.commands)) break;
  }
  outcome.error = parser.error();
  outcome.buffered = parser.buffered_bytes();
  return outcome;
}

TEST(RespParser, ParsesOneMultibulkCommand) {
  const auto out = parse("*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n");
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Argv{"ECHO", "hello"}));
  EXPECT_EQ(out.buffered, 0u);
}

TEST(RespParser, BulkStringsAreBinarySafe) {
  const std::string value("a\r\n\0b", 5);
  const auto out = parse("*2\r\n$4\r\nECHO\r\n$5\r\n" + value + "\r\n");
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0][1], value);
}

TEST(RespParser, EmptyBulkAndEmptyArrays) {
  const auto out = parse("*0\r\n*-1\r\n*1\r\n$0\r\n\r\n");
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.commands.size(), 1u);
  EXPECT_EQ(out.commands[0], (Argv{""}));
}

TEST(RespParser, PipelinedCommandsInOneRead) {
  std::string input;
  for (int i = 0; i < 50; ++i)
    input += "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n" + std::to_string(10 + i) + "\r\n";
  input += "PING\r\nECHO x\n";
  const auto out = parse(input);
  ASSERT_EQ(out.commands.size(), 52u);
  EXPECT_EQ(out.commands[49], (Argv{"SET", "k", "59"}));
  EXPECT_EQ(out.commands[50], (Argv{"PING"}));
  EXPECT_EQ(out.commands[51], (Argv{"ECHO", "x"}));
}

TEST(RespParser, PartialCommandIsKeptUntilComplete) {
  RespParser parser(test_limits());
  std::vector<Argv> commands;
  ASSERT_TRUE(parser.feed("*2\r\n$4\r\nECHO\r\n$5\r\nhel", &commands));
  EXPECT_TRUE(commands.empty());
  EXPECT_GT(parser.buffered_bytes(), 0u);
  ASSERT_TRUE(parser.feed("lo\r\n", &commands));
  ASSERT_EQ(commands.size(), 1u);
  EXPECT_EQ(commands[0], (Argv{"ECHO", "hello"}));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

struct InlineCase {
  std::string line;
  Argv args;
};

TEST(RespParser, InlineCommandsFollowRedisQuoting) {
  const std::vector<InlineCase> cases = {
      {"PING\r\n", {"PING"}},
      {"PING\n", {"PING"}},
      {"  SET   k  v \t\r\n", {"SET", "k", "v"}},
      {"SET k \"a b\"\r\n", {"SET", "k", "a b"}},
      {"SET k \"\\x41\\n\\r\\t\\b\\a\\\\\\\"\"\r\n", {"SET", "k", "A\n\r\t\b\a\\\""}},
      {"SET k \"\\xZZ\"\r\n", {"SET", "k", "xZZ"}},
      {"SET k 'it\\'s \"x\"'\r\n", {"SET", "k", "it's \"x\""}},
      {"SET k ''\r\n", {"SET", "k", ""}},
      {"SET k \"\"\r\n", {"SET", "k", ""}},
      {"SET k a\"b c\"\r\n", {"SET", "k", "ab c"}},
  };
  for (const auto& c : cases) {
    const auto out = parse(c.line);
    EXPECT_EQ(out.error, "") << c.line;
    ASSERT_EQ(out.commands.size(), 1u) << c.line;
    EXPECT_EQ(out.commands[0], c.args) << c.line;
  }
}

TEST(RespParser, BlankInlineLinesAreIgnored) {
  const auto out = parse("\r\n\n   \r\nPING\r\n");
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.commands.size(), 1u);
}

struct ErrorCase {
  std::string input;
  std::string error;
};

TEST(RespParser, MalformedInputGetsRedisErrorText) {
  const std::string big_line(201, 'a');
  // Five complete 999-byte arguments of a six-argument command: more than 4096 held.
  std::string many_bulks = "*6\r\n";
  for (int i = 0; i < 5; ++i) many_bulks += "$999\r\n" + std::string(999, 'x') + "\r\n";
  const std::vector<ErrorCase> cases = {
      {"*x\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*01\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*+1\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*101\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*99999999999999999999\r\n", "ERR Protocol error: invalid multibulk length"},
      {"*1\r\nx\r\n", "ERR Protocol error: expected '$', got 'x'"},
      {"*1\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"},
      {"*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"},
      {"*1\r\n$x\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"},
      {"*1\r\n$1001\r\n", "ERR Protocol error: invalid bulk length"},
      {"*" + big_line, "ERR Protocol error: too big mbulk count string"},
      {"*1\r\n$" + big_line, "ERR Protocol error: too big bulk count string"},
      {big_line, "ERR Protocol error: too big inline request"},
      {big_line + "\r\n", "ERR Protocol error: too big inline request"},
      {"SET k \"abc\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"SET k 'abc\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"SET k \"a\"b\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {"SET k 'a'b\r\n", "ERR Protocol error: unbalanced quotes in request"},
      {many_bulks, "ERR Protocol error: client query buffer exceeds its limit"},
  };
  for (const auto& c : cases) {
    const auto out = parse(c.input);
    EXPECT_EQ(out.error, c.error) << c.input.substr(0, 40);
    EXPECT_TRUE(out.commands.empty()) << c.input.substr(0, 40);
  }
}

TEST(RespParser, CommandsBeforeAnErrorAreStillReturned) {
  const auto out = parse("PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n?\r\nPING\r\n");
  EXPECT_EQ(out.error, "ERR Protocol error: expected '$', got '?'");
  EXPECT_EQ(out.commands.size(), 2u);
}

TEST(RespParser, FailedParserStaysFailed) {
  RespParser parser(test_limits());
  std::vector<Argv> commands;
  EXPECT_FALSE(parser.feed("*x\r\n", &commands));
  EXPECT_FALSE(parser.feed("PING\r\n", &commands));
  EXPECT_TRUE(commands.empty());
  EXPECT_TRUE(parser.failed());
}

TEST(RespParser, LinesAtTheLimitAreAccepted) {
  // 200 bytes before '\n' including the '\r' is exactly max_inline_len.
  const std::string line = "ECHO " + std::string(194, 'a') + "\r\n";
  const auto out = parse(line);
  EXPECT_EQ(out.error, "");
  ASSERT_EQ(out.commands.size(), 1u);
  const auto bulk = parse("*1\r\n$1000\r\n" + std::string(1000, 'b') + "\r\n");
  EXPECT_EQ(bulk.error, "");
  ASSERT_EQ(bulk.commands.size(), 1u);
}

TEST(RespParser, HostileArrayCountReservesNothing) {
  ParserLimits limits = test_limits();
  limits.max_array_len = uint64_t{1} << 40;
  RespParser parser(limits);
  std::vector<Argv> commands;
  ASSERT_TRUE(parser.feed("*1000000000000\r\n$1\r\na\r\n", &commands));
  EXPECT_LT(parser.buffered_bytes(), 16u);
}

// Every input here, cut at every byte boundary (and fed byte by byte), must give exactly
// the same commands and error as when it is fed at once.
TEST(RespParser, SplittingInputAnywhereChangesNothing) {
  const std::string big_line(201, 'a');
  const std::vector<std::string> inputs = {
      "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\nPING\r\n*0\r\n*1\r\n$0\r\n\r\n",
      "SET k \"a b\" 'c d'\r\nGET k\nECHO \"\\x41\"\r\n",
      "PING\r\n*1\r\n$2\r\nab\r\n*1\r\nx\r\n",
      "*2\r\n$1\r\na\r\n$1001\r\n",
      "*1\r\n$" + big_line,
      "*" + big_line,
      big_line + "\r\n",
      std::string(199, 'b') + "\r\nPING\r\n",
      "SET k \"abc\r\nPING\r\n",
  };
  for (const auto& input : inputs) {
    const Outcome whole = parse(input);
    for (size_t cut = 1; cut < input.size(); ++cut) {
      RespParser parser(test_limits());
      std::vector<Argv> commands;
      if (parser.feed(std::string_view(input).substr(0, cut), &commands)) {
        parser.feed(std::string_view(input).substr(cut), &commands);
      }
      EXPECT_EQ(commands, whole.commands) << "cut at " << cut << " of " << input.substr(0, 40);
      EXPECT_EQ(parser.error(), whole.error) << "cut at " << cut << " of " << input.substr(0, 40);
    }
    const Outcome bytewise = parse(input, 1);
    EXPECT_EQ(bytewise.commands, whole.commands) << input;
    EXPECT_EQ(bytewise.error, whole.error) << input;
  }
}

}  // namespace
}  // namespace raftkv::kv
