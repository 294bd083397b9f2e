#pragma once
// A RESP2 reply as the simulated clients see it, parsed into a tree: enough to read the
// nested arrays of XREADGROUP, XRANGE, XPENDING and XINFO. Test-only; malformed input gives
// nothing rather than throwing (the server's replies are checked, not trusted).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raftkv::sim {

struct RespReply {
  char type = '+';               // '+', '-', ':', '$' or '*'
  bool nil = false;              // $-1 or *-1
  std::string text;              // the simple string, error, integer digits or bulk string
  std::vector<RespReply> items;  // '*' only
};

// The whole of `wire` must be exactly one reply.
std::optional<RespReply> parse_reply(std::string_view wire);

}  // namespace raftkv::sim
