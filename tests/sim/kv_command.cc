#include "sim/kv_command.h"

#include <charconv>
#include <vector>

namespace raftkv::sim {

const char* to_string(KvOp op) {
  switch (op) {
    case KvOp::kGet:
      return "get";
    case KvOp::kPut:
      return "put";
    case KvOp::kAppend:
      return "append";
    case KvOp::kCas:
      return "cas";
  }
  return "?";
}

std::string encode(const KvCommand& c) {
  std::string out = std::to_string(c.client);
  out += '|';
  out += std::to_string(c.seq);
  out += '|';
  out += std::to_string(static_cast<int>(c.op));
  out += '|';
  out += c.key;
  out += '|';
  out += c.arg;
  out += '|';
  out += c.expected;
  return out;
}

namespace {

bool parse_u64(const std::string& s, uint64_t& out) {
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

std::optional<KvCommand> decode(const std::string& data) {
  std::vector<std::string> fields(1);
  for (char ch : data) {
    if (ch == '|') {
      fields.emplace_back();
    } else {
      fields.back() += ch;
    }
  }
  if (fields.size() != 6) return std::nullopt;
  KvCommand c;
  uint64_t op = 0;
  if (!parse_u64(fields[0], c.client) || !parse_u64(fields[1], c.seq) ||
      !parse_u64(fields[2], op) || op > static_cast<uint64_t>(KvOp::kCas)) {
    return std::nullopt;
  }
  c.op = static_cast<KvOp>(op);
  c.key = std::move(fields[3]);
  c.arg = std::move(fields[4]);
  c.expected = std::move(fields[5]);
  return c;
}

std::string describe(const KvCommand& c) {
  std::string out = to_string(c.op);
  out += ' ';
  out += c.key;
  switch (c.op) {
    case KvOp::kGet:
      break;
    case KvOp::kPut:
      out += "=" + c.arg;
      break;
    case KvOp::kAppend:
      out += "+=" + c.arg;
      break;
    case KvOp::kCas:
      out += " '" + c.expected + "'->" + c.arg;
      break;
  }
  return out;
}

}  // namespace raftkv::sim
