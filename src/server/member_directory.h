// Which client address each member serves Redis clients on, as replicated through the log:
// a leader records its own address when elected (and, once peers announce theirs, those
// too), so every node can redirect clients to the leader and list the cluster's nodes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::server {

class MemberDirectory {
 public:
  // Log entries carrying a member's address start with this byte; kv commands start with
  // their format version (1) and a leader's no-op is empty, so the kinds never collide.
  static constexpr char kEntryTag = 'M';

  static std::string encode_entry(raft::NodeId id, std::string_view client_address);
  static bool is_member_entry(std::string_view data) {
    return !data.empty() && data[0] == kEntryTag;
  }
  // Applies a member entry; returns false (and changes nothing) if it is malformed.
  bool apply(std::string_view data);

  std::optional<std::string> client_address(raft::NodeId id) const;
  const std::map<raft::NodeId, std::string>& all() const { return addresses_; }
  void set(raft::NodeId id, std::string address) { addresses_[id] = std::move(address); }

 private:
  std::map<raft::NodeId, std::string> addresses_;
};

}  // namespace raftkv::server
