#include "raftkv/raft/conf_change.h"

#include <cstdint>

namespace raftkv::raft {

namespace {

// Little-endian base-128 varints: compact, and trivially bounded when decoding.
void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool get_varint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

void put_ids(std::string* out, const std::vector<NodeId>& ids) {
  put_varint(out, ids.size());
  for (NodeId id : ids) put_varint(out, id);
}

bool get_ids(std::string_view* in, std::vector<NodeId>* ids) {
  uint64_t n = 0;
  if (!get_varint(in, &n) || n > in->size()) return false;  // each id takes >= 1 byte
  ids->clear();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (!get_varint(in, &id) || id == kNoNode) return false;
    ids->push_back(id);
  }
  return true;
}

constexpr uint8_t kVersion = 1;

}  // namespace

std::string encode_conf_change(const ConfChange& cc) {
  std::string out(1, static_cast<char>(kVersion));
  put_ids(&out, cc.conf.voters);
  put_ids(&out, cc.conf.voters_outgoing);
  put_ids(&out, cc.conf.learners);
  put_varint(&out, cc.context.size());
  out += cc.context;
  return out;
}

std::optional<ConfChange> decode_conf_change(std::string_view data) {
  if (data.empty() || static_cast<uint8_t>(data.front()) != kVersion) return std::nullopt;
  data.remove_prefix(1);
  ConfChange cc;
  uint64_t context_len = 0;
  if (!get_ids(&data, &cc.conf.voters) || !get_ids(&data, &cc.conf.voters_outgoing) ||
      !get_ids(&data, &cc.conf.learners) || !get_varint(&data, &context_len) ||
      context_len != data.size() || cc.conf.voters.empty()) {
    return std::nullopt;
  }
  cc.context = std::string(data);
  return cc;
}

}  // namespace raftkv::raft
