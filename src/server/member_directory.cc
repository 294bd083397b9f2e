#include "server/member_directory.h"

#include <charconv>

namespace raftkv::server {

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
  auto [end, ec] = std::from_chars(data.data(), data.data() + space, id);
  if (ec != std::errc() || end != data.data() + space || id == raft::kNoNode) return false;
  std::string_view address = data.substr(space + 1);
  if (address.empty() || address.size() > 256) return false;
  addresses_[id] = std::string(address);
  return true;
}

std::optional<std::string> MemberDirectory::client_address(raft::NodeId id) const {
  auto it = addresses_.find(id);
  if (it == addresses_.end()) return std::nullopt;
  return it->second;
}

}  // namespace raftkv::server
