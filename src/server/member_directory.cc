#include "server/member_directory.h"

#include <charconv>
#include <sstream>

#include "net/handshake.h"
#include "net/peer_address.h"

namespace raftkv::server {

std::pair<std::string, int64_t> host_and_port(const std::string& address) {
  auto a = net::parse_peer_address(address);
  if (!a) return {address, 0};
  return {a->host, a->port};
}

namespace {

constexpr size_t kMaxAddress = 256;

bool parse_id(std::string_view text, raft::NodeId* id) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return ec == std::errc() && end == text.data() + text.size() && *id != raft::kNoNode;
}

// "-" stands for an unknown address; anything else must look like host:port.
bool parse_address_field(std::string_view text, std::string* out) {
  if (text == "-") {
    out->clear();
    return true;
  }
  if (text.empty() || text.size() > kMaxAddress || !net::valid_client_address(text)) return false;
  *out = std::string(text);
  return true;
}

std::string field(const std::string& address) {
  return address.empty() ? "-" : address;
}

}  // namespace

std::string MemberDirectory::encode_entry(raft::NodeId id, std::string_view client_address) {
  std::string out(1, kEntryTag);
  out += std::to_string(id);
  out += ' ';
  out += client_address;
  return out;
}

bool MemberDirectory::apply(std::string_view data) {
  if (!is_member_entry(data)) return false;
  data.remove_prefix(1);
  size_t space = data.find(' ');
  if (space == std::string_view::npos) return false;
  raft::NodeId id = 0;
  std::string address;
  if (!parse_id(data.substr(0, space), &id) ||
      !parse_address_field(data.substr(space + 1), &address) || address.empty()) {
    return false;
  }
  members_[id].client = std::move(address);
  return true;
}

std::string MemberDirectory::encode_context(
    const std::map<raft::NodeId, MemberAddresses>& members) {
  std::string out;
  for (const auto& [id, a] : members) {
    out += std::to_string(id) + " " + field(a.client) + " " + field(a.peer) + "\n";
  }
  return out;
}

std::optional<std::map<raft::NodeId, MemberAddresses>> MemberDirectory::decode_context(
    std::string_view context) {
  std::map<raft::NodeId, MemberAddresses> out;
  while (!context.empty()) {
    size_t eol = context.find('\n');
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view line = context.substr(0, eol);
    context.remove_prefix(eol + 1);
    size_t a = line.find(' ');
    size_t b = a == std::string_view::npos ? a : line.find(' ', a + 1);
    if (b == std::string_view::npos) return std::nullopt;
    raft::NodeId id = 0;
    MemberAddresses m;
    if (!parse_id(line.substr(0, a), &id) ||
        !parse_address_field(line.substr(a + 1, b - a - 1), &m.client) ||
        !parse_address_field(line.substr(b + 1), &m.peer)) {
      return std::nullopt;
    }
    out[id] = std::move(m);
  }
  return out;
}

void MemberDirectory::merge(const std::map<raft::NodeId, MemberAddresses>& members) {
  for (const auto& [id, a] : members) {
    if (!a.client.empty()) members_[id].client = a.client;
    if (!a.peer.empty()) members_[id].peer = a.peer;
  }
}

std::optional<std::string> MemberDirectory::client_address(raft::NodeId id) const {
  auto it = members_.find(id);
  if (it == members_.end() || it->second.client.empty()) return std::nullopt;
  return it->second.client;
}

std::optional<std::string> MemberDirectory::peer_address(raft::NodeId id) const {
  auto it = members_.find(id);
  if (it == members_.end() || it->second.peer.empty()) return std::nullopt;
  return it->second.peer;
}

std::map<raft::NodeId, std::string> MemberDirectory::encoded() const {
  std::map<raft::NodeId, std::string> out;
  for (const auto& [id, a] : members_) out[id] = field(a.client) + " " + field(a.peer);
  return out;
}

bool MemberDirectory::set_encoded(raft::NodeId id, std::string_view value) {
  size_t space = value.find(' ');
  MemberAddresses m;
  if (space == std::string_view::npos) {
    // Images written before peer addresses were kept hold the client address alone.
    if (!parse_address_field(value, &m.client)) return false;
  } else if (!parse_address_field(value.substr(0, space), &m.client) ||
             !parse_address_field(value.substr(space + 1), &m.peer)) {
    return false;
  }
  members_[id] = std::move(m);
  return true;
}

}  // namespace raftkv::server
