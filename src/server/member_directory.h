// Where each member can be reached — its Redis client address and its peer address — as
// replicated through the log, so every node can redirect clients to the leader, list the
// cluster's nodes, and connect to members added after it started:
//   - a leader records its own client address when elected, and the client addresses its
//     peers announce in their handshakes ('M' entries, below);
//   - a membership change carries the addresses of the members it names (the context of
//     its configuration entry, encode_context()).
// Snapshots carry the whole directory (encoded(), set_encoded()).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "raft/types.h"

namespace raftkv::server {

struct MemberAddresses {
  std::string client;  // "host:port", may be empty (not yet known)
  std::string peer;    // "host:port", may be empty (known from the command line)
  bool operator==(const MemberAddresses&) const = default;
};

// A "host:port" address as CLUSTER SLOTS and ROLE name it: host and port (the whole text
// and 0 if it does not parse).
std::pair<std::string, int64_t> host_and_port(const std::string& address);

class MemberDirectory {
 public:
  // Log entries announcing a member's client address start with this byte; kv commands
  // start with their format version (1) and a leader's no-op is empty, so kinds never
  // collide.
  static constexpr char kEntryTag = 'M';

  static std::string encode_entry(raft::NodeId id, std::string_view client_address);
  static bool is_member_entry(std::string_view data) {
    return !data.empty() && data[0] == kEntryTag;
  }
  // Applies a member entry; returns false (and changes nothing) if it is malformed.
  bool apply(std::string_view data);

  // A configuration entry's context: one "id client peer" line per member ("-" for an
  // unknown address). Decoding fails on anything else.
  static std::string encode_context(const std::map<raft::NodeId, MemberAddresses>& members);
  static std::optional<std::map<raft::NodeId, MemberAddresses>> decode_context(
      std::string_view context);
  // Takes the known (non-empty) addresses from `members`.
  void merge(const std::map<raft::NodeId, MemberAddresses>& members);

  std::optional<std::string> client_address(raft::NodeId id) const;
  std::optional<std::string> peer_address(raft::NodeId id) const;
  const std::map<raft::NodeId, MemberAddresses>& members() const { return members_; }
  void set_client(raft::NodeId id, std::string address) {
    members_[id].client = std::move(address);
  }
  void set_peer(raft::NodeId id, std::string address) { members_[id].peer = std::move(address); }

  // The directory as one string per member, for snapshot images.
  std::map<raft::NodeId, std::string> encoded() const;
  // Restores one member from encoded(); false if malformed.
  bool set_encoded(raft::NodeId id, std::string_view value);

 private:
  std::map<raft::NodeId, MemberAddresses> members_;
};

}  // namespace raftkv::server
