#include "sim/resp_reply.h"

#include <charconv>

namespace raftkv::sim {

namespace {

bool parse_one(std::string_view wire, size_t& at, RespReply& out, int depth) {
  if (depth > 16 || at >= wire.size()) return false;
  const size_t eol = wire.find("\r\n", at);
  if (eol == std::string_view::npos) return false;
  out.type = wire[at];
  const std::string_view line = wire.substr(at + 1, eol - at - 1);
  at = eol + 2;
  if (out.type == '+' || out.type == '-' || out.type == ':') {
    out.text = line;
    return true;
  }
  if (out.type != '$' && out.type != '*') return false;
  if (line == "-1") {
    out.nil = true;
    return true;
  }
  size_t n = 0;
  const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
  if (ec != std::errc() || end != line.data() + line.size()) return false;
  if (out.type == '$') {
    if (wire.size() - at < n + 2 || wire.substr(at + n, 2) != "\r\n") return false;
    out.text = wire.substr(at, n);
    at += n + 2;
    return true;
  }
  if (n > wire.size()) return false;  // every element takes at least one byte
  out.items.resize(n);
  for (RespReply& item : out.items) {
    if (!parse_one(wire, at, item, depth + 1)) return false;
  }
  return true;
}

}  // namespace

std::optional<RespReply> parse_reply(std::string_view wire) {
  RespReply r;
  size_t at = 0;
  if (!parse_one(wire, at, r, 0) || at != wire.size()) return std::nullopt;
  return r;
}

}  // namespace raftkv::sim
