#include "kv/resp_parser.h"

#include <vector>

#include "targets.h"

namespace raftkv::fuzz {

int resp_parser(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Small limits, so that every bound is within the fuzzer's reach (the buffer one too).
  kv::ParserLimits limits;
  limits.max_bulk_len = 64;
  limits.max_array_len = 8;
  limits.max_inline_len = 128;
  limits.max_buffered_bytes = 160;  // below 8 x 64: reachable by one command
  const size_t piece = 1 + data[0] % 32;
  const std::string_view input = as_chars(data + 1, size - 1);

  kv::RespParser whole(limits);
  std::vector<kv::Argv> whole_commands;
  whole.feed(input, &whole_commands);

  kv::RespParser pieces(limits);
  std::vector<kv::Argv> piece_commands;
  for (size_t at = 0; at < input.size(); at += piece) {
    if (!pieces.feed(input.substr(at, piece), &piece_commands)) break;
    FUZZ_CHECK(pieces.buffered_bytes() <= limits.max_buffered_bytes);
  }
  FUZZ_CHECK(pieces.failed() == !pieces.error().empty());
  // The buffer bound may trip at different points; otherwise the pieces must not matter.
  if (!whole.buffer_limit_exceeded() && !pieces.buffer_limit_exceeded()) {
    FUZZ_CHECK(piece_commands == whole_commands);
    FUZZ_CHECK(pieces.error() == whole.error());
  }
  for (const auto& argv : whole_commands) {
    FUZZ_CHECK(!argv.empty());
    for (const auto& arg : argv) FUZZ_CHECK(arg.size() <= limits.max_inline_len);
  }
  kv::Argv inline_args;
  kv::split_inline_args(input, &inline_args);
  return 0;
}

}  // namespace raftkv::fuzz
