// MembershipService: a node's membership glue, one class as LogCabin keeps one per service.
// It owns the replicated member directory (where every member is reached) and the map of
// peers this node dials, and
//   - answers the operator's RAFT subcommands (MEMBERS, ADD-LEARNER, PROMOTE, REMOVE,
//     SET-VOTERS, TRANSFER; BACKUP stays with the server's snapshot code);
//   - applies configuration entries and member entries ('M', member_directory.h);
//   - reaches the members of a configuration entry once it is appended, and stops dialling
//     members a configuration no longer has;
//   - on a leader, records in the log the client addresses of itself and of its peers.
// It reaches the outside only through the RaftDriver, PeerLinks and the ClientService's
// error replies, so that the simulator runs it as it ships (tests/sim/server_node.h).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "kv/argv.h"
#include "net/peer_address.h"
#include "raft/types.h"
#include "server/client_service.h"
#include "server/member_directory.h"
#include "server/raft_driver.h"
#include "server/reply_slot.h"

namespace raftkv::server {

// The peer transport as this service sees it: whom to dial. The server implements it with
// net::PeerTransport, the simulator with its simulated network.
struct PeerLinks {
  virtual ~PeerLinks() = default;
  virtual void set_peer(raft::NodeId id, const net::PeerAddress& address) = 0;
  virtual void remove_peer(raft::NodeId id) = 0;
};

// Deliberate bugs, for the simulator to prove its checks catch them. Tests only.
struct MembershipBugs {
  // A node without a configuration (one joining, as `raftkv serve --join`) stops dialling
  // the peers it was given, as if it had been removed, and forgets where they were (so
  // that heard_from cannot dial its leader again; it ignores the addresses handshakes tell
  // too): it cannot answer the leader that adds it, so it never catches up.
  bool prune_without_configuration = false;
};

class MembershipService {
 public:
  struct Options {
    raft::NodeId id = raft::kNoNode;
    net::PeerAddress listen_peer;            // this node's peer address (MEMBERS, change contexts)
    std::string advertise_client;            // this node's client address, announced when it leads
    raft::Index promote_max_lag = 1000;      // PROMOTE refuses a learner further behind
    std::shared_ptr<spdlog::logger> logger;  // null: spdlog's default logger
  };
  using InjectedBugs = MembershipBugs;

  MembershipService(Options options, PeerLinks& links, InjectedBugs bugs = {});

  // The driver, once it exists (it is built after the snapshot is restored at startup),
  // and the request path, whose errors (-MOVED, -TRYAGAIN ...) RAFT answers with too.
  void attach(RaftDriver& driver, const ClientService& requests);

  // RAFT <subcommand> ... other than BACKUP.
  void handle_raft_command(const kv::Argv& argv, ReplySlot& slot);
  // A committed entry: true if it was a configuration or member entry, which this service
  // consumed (the key-value state machine only steps its applied index over it).
  bool apply(const raft::Entry& entry);
  // A configuration entry was appended: it is in effect now, so its members are dialled.
  void on_conf_entry_appended(const raft::Entry& entry);
  // A snapshot replaces the directory; the peers become the members of its configuration.
  void restore(MemberDirectory members, const raft::ConfState& conf);
  // At startup: the peers given on the command line, then every member the directory knows.
  void add_known_peers(const std::map<raft::NodeId, net::PeerAddress>& peers);
  // Makes the links reach exactly the members of `conf` (besides this node).
  void connect_to_members(const raft::ConfState& conf);
  // A peer's handshake told its client address.
  void learned_client(raft::NodeId id, std::string client) { learned_clients_[id] = client; }
  // A peer's handshake told its peer address: heard_from can dial it back even before
  // this node applies the entry that names it.
  void learned_peer(raft::NodeId id, const net::PeerAddress& peer) {
    if (!bugs_.prune_without_configuration) learned_peers_[id] = peer;
  }
  // Every tick, with the driver's status (the caller has it at hand): the links follow the
  // configuration in effect if it changed with no entry applied (a log truncation brings back the
  // members a discarded entry removed), and a leader records missing client addresses in the log,
  // one entry at a time.
  void tick(const raft::Status& st);
  // A message from a peer. If it is one only a leader sends, in a term at least this
  // node's, from a peer this node does not dial (it pruned it on applying its removal,
  // and has not yet received the entries that add it back) or has never dialled (a member
  // added while this node lagged), it dials it: else it could never answer its leader. The
  // address is where it was, or the directory's, or the one its handshake told. One map
  // lookup when the peer is dialled.
  void heard_from(const raft::Message& m);

  const MemberDirectory& directory() const { return members_; }
  const std::map<raft::NodeId, net::PeerAddress>& peers() const { return peers_; }
  std::string members_reply() const;
  static std::string describe_conf(const raft::ConfState& conf);
  // "1,2,3": how INFO and the logs list node ids.
  static std::string join_ids(const std::vector<raft::NodeId>& ids);

 private:
  void connect_to(raft::NodeId id, const std::string& peer);
  void announce(const raft::Status& st);
  void apply_conf(const raft::Entry& entry);
  // The configuration a change asks for, from `argv` and the one in effect; empty (with
  // `slot` answered) if the request is refused.
  std::optional<raft::ConfState> change_target(const kv::Argv& argv, const raft::Status& st,
                                               std::map<raft::NodeId, MemberAddresses>* named,
                                               ReplySlot& slot) const;
  std::string not_caught_up(const raft::Status& st, raft::NodeId learner) const;
  void transfer(raft::NodeId id, const std::string& name, ReplySlot& slot);
  void propose_change(const raft::ConfState& cur, const raft::ConfState& target,
                      std::map<raft::NodeId, MemberAddresses> named, ReplySlot& slot);

  Options options_;
  PeerLinks& links_;
  InjectedBugs bugs_;
  RaftDriver* driver_ = nullptr;
  const ClientService* requests_ = nullptr;
  MemberDirectory members_;
  std::map<raft::NodeId, net::PeerAddress> peers_;          // what the links dial
  std::map<raft::NodeId, std::string> learned_clients_;     // from peers' handshakes
  std::map<raft::NodeId, net::PeerAddress> learned_peers_;  // the same
  raft::ConfState links_conf_;  // the configuration the links were last made to follow
  std::map<raft::NodeId, net::PeerAddress> departed_;  // pruned peers: where they were
  bool announcing_peer_ = false;
  raft::Term announced_term_ = 0;
};

}  // namespace raftkv::server
