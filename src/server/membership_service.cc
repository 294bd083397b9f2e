// RAFT: the operator's membership commands (issue: membership changes by joint consensus).
//
//   RAFT MEMBERS                          members with roles, addresses and progress
//   RAFT ADD-LEARNER <id> <peer> <client> add a non-voting member (it catches up first)
//   RAFT PROMOTE <id>                     make a caught-up learner a voter
//   RAFT REMOVE <id>                      remove a voter or learner (the leader too)
//   RAFT SET-VOTERS <id> [<id> ...]       replace several voters in one joint change
//   RAFT TRANSFER <id>                    hand leadership to a voter
//
// Changes run on the leader (others answer -MOVED) and reply +OK once the change's entry is
// applied; a voter change then completes by itself (the leader appends C(new)).
#include "server/membership_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <set>

#include "kv/resp_writer.h"
#include "net/handshake.h"
#include "raft/check.h"
#include "raft/conf_change.h"

namespace raftkv::server {

namespace {

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool parse_id(const std::string& text, raft::NodeId* id) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *id);
  return ec == std::errc() && end == text.data() + text.size() && *id != raft::kNoNode;
}

bool contains(const std::vector<raft::NodeId>& v, raft::NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

void erase(std::vector<raft::NodeId>* v, raft::NodeId id) {
  std::erase(*v, id);
}

constexpr const char* kUsage =
    "RAFT MEMBERS | ADD-LEARNER id peer client | PROMOTE id | REMOVE id | SET-VOTERS id... | "
    "TRANSFER id";

std::string usage(const char* what) {
  return kv::encode_error(std::string("ERR usage: ") + what);
}

}  // namespace

MembershipService::MembershipService(Options options, PeerLinks& links, InjectedBugs bugs)
    : options_(std::move(options)), links_(links), bugs_(bugs) {
  if (!options_.logger) options_.logger = spdlog::default_logger();
}

void MembershipService::attach(RaftDriver& driver, const ClientService& requests) {
  driver_ = &driver;
  requests_ = &requests;
}

std::string MembershipService::join_ids(const std::vector<raft::NodeId>& ids) {
  std::string out;
  for (raft::NodeId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::string MembershipService::describe_conf(const raft::ConfState& conf) {
  std::string out = "voters " + join_ids(conf.voters);
  if (conf.joint()) out += " and " + join_ids(conf.voters_outgoing) + " (joint)";
  if (!conf.learners.empty()) out += ", learners " + join_ids(conf.learners);
  return out;
}

std::string MembershipService::members_reply() const {
  raft::Status st = driver_->status();
  std::string text;
  for (const auto& [id, progress] : st.progress) {  // every member, in id order
    const raft::PeerProgress* pr = &progress;
    std::string role = id == st.leader ? "leader" : st.is_voter(id) ? "voter" : "learner";
    auto peer = peers_.find(id);
    text += "id=" + std::to_string(id) + " role=" + role + " peer=" +
            (id == st.id            ? options_.listen_peer.to_string()
             : peer != peers_.end() ? peer->second.to_string()
                                    : "-") +
            " client=" + members_.client_address(id).value_or("-");
    if (st.role == raft::Role::kLeader) {
      text += " match=" + std::to_string(id == st.id ? st.last_index : pr->match) +
              " state=" + (id == st.id ? "self" : raft::to_string(pr->state));
    }
    text += "\n";
  }
  text += "conf=" + describe_conf(st.conf) + "\n";
  return kv::encode_bulk(text);
}

void MembershipService::handle_raft_command(const kv::Argv& argv, ReplySlot& slot) {
  RAFTKV_CHECK(driver_ != nullptr, "a RAFT command before the driver was attached");
  const std::string sub = upper(argv[1]);
  if (sub == "MEMBERS" && argv.size() == 2) {
    slot.complete(members_reply());
    return;
  }
  if (auto err = driver_->unavailable()) {
    slot.complete(requests_->redirect_error(*err));
    return;
  }
  raft::NodeId id = raft::kNoNode;
  if (argv.size() < 3 || !parse_id(argv[2], &id)) {
    slot.complete(usage(kUsage));
    return;
  }
  if (sub == "TRANSFER" && argv.size() == 3) {
    transfer(id, argv[2], slot);
    return;
  }
  const raft::Status st = driver_->status();
  if (st.conf.joint()) {
    slot.complete(requests_->request_error(RequestError::kBusy));
    return;
  }
  std::map<raft::NodeId, MemberAddresses> named;
  if (auto target = change_target(argv, st, &named, slot)) {
    propose_change(st.conf, *target, std::move(named), slot);
  }
}

void MembershipService::transfer(raft::NodeId id, const std::string& name, ReplySlot& slot) {
  if (auto err = driver_->transfer_leadership(id)) {
    slot.complete(*err == RequestError::kInvalid
                      ? kv::encode_error("ERR node " + name + " is not a voter")
                      : requests_->request_error(*err));
  } else {
    slot.complete(kv::encode_simple("OK"));
  }
}

std::string MembershipService::not_caught_up(const raft::Status& st, raft::NodeId learner) const {
  auto it = st.progress.find(learner);
  const raft::PeerProgress* pr = it == st.progress.end() ? nullptr : &it->second;
  const raft::Index last = st.last_index;
  if (pr == nullptr || pr->match + options_.promote_max_lag < last) {
    return "ERR learner " + std::to_string(learner) + " has not caught up (at " +
           std::to_string(pr ? pr->match : 0) + " of " + std::to_string(last) +
           "); retry when it has";
  }
  return "";
}

std::optional<raft::ConfState> MembershipService::change_target(
    const kv::Argv& argv, const raft::Status& st, std::map<raft::NodeId, MemberAddresses>* named,
    ReplySlot& slot) const {
  const std::string sub = upper(argv[1]);
  const raft::ConfState& cur = st.conf;
  raft::ConfState target{cur.voters, {}, cur.learners};
  raft::NodeId id = raft::kNoNode;
  parse_id(argv[2], &id);
  auto refuse = [&slot](std::string reply) {
    slot.complete(std::move(reply));
    return std::nullopt;
  };
  if (sub == "ADD-LEARNER" && argv.size() == 5) {
    if (contains(cur.voters, id) || contains(cur.learners, id)) {
      return refuse(kv::encode_error("ERR node " + argv[2] + " is already a member"));
    }
    if (!net::parse_peer_address(argv[3]) || !net::valid_client_address(argv[4]) ||
        !net::parse_peer_address(argv[4])) {
      return refuse(usage("RAFT ADD-LEARNER id peer-host:port client-host:port"));
    }
    target.learners.push_back(id);
    (*named)[id] = MemberAddresses{argv[4], argv[3]};
  } else if (sub == "PROMOTE" && argv.size() == 3) {
    if (!contains(cur.learners, id)) {
      return refuse(kv::encode_error("ERR node " + argv[2] + " is not a learner"));
    }
    if (auto err = not_caught_up(st, id); !err.empty()) return refuse(kv::encode_error(err));
    erase(&target.learners, id);
    target.voters.push_back(id);
  } else if (sub == "REMOVE" && argv.size() == 3) {
    if (!contains(cur.voters, id) && !contains(cur.learners, id)) {
      return refuse(kv::encode_error("ERR node " + argv[2] + " is not a member"));
    }
    erase(&target.voters, id);
    erase(&target.learners, id);
  } else if (sub == "SET-VOTERS") {
    target.voters.clear();
    for (size_t i = 2; i < argv.size(); ++i) {
      raft::NodeId v = raft::kNoNode;
      if (!parse_id(argv[i], &v) || (!contains(cur.voters, v) && !contains(cur.learners, v))) {
        return refuse(kv::encode_error("ERR node " + argv[i] +
                                       " is not a member (add it as a learner first)"));
      }
      if (contains(cur.learners, v)) {
        if (auto err = not_caught_up(st, v); !err.empty()) return refuse(kv::encode_error(err));
        erase(&target.learners, v);
      }
      if (!contains(target.voters, v)) target.voters.push_back(v);
    }
  } else {
    return refuse(usage(kUsage));
  }
  return target;
}

void MembershipService::propose_change(const raft::ConfState& cur, const raft::ConfState& target,
                                       std::map<raft::NodeId, MemberAddresses> named,
                                       ReplySlot& slot) {
  // The entry carries every member's known addresses, so a node that joins (or restarts
  // from a snapshot) learns how to reach all of them from the log alone.
  for (raft::NodeId m : target.voters) named.try_emplace(m);
  for (raft::NodeId m : target.learners) named.try_emplace(m);
  for (auto& [m, a] : named) {
    if (a.client.empty()) a.client = members_.client_address(m).value_or("");
    if (a.peer.empty()) {
      if (m == options_.id) {
        a.peer = options_.listen_peer.to_string();
      } else if (auto p = peers_.find(m); p != peers_.end()) {
        a.peer = p->second.to_string();
      }
    }
  }
  for (const auto& [m, a] : named) connect_to(m, a.peer);  // the leader replicates to it now
  options_.logger->info("membership change requested: {} -> {}", describe_conf(cur),
                        describe_conf(target));
  driver_->propose_conf_change(
      target, MemberDirectory::encode_context(named),
      [this, slot](std::optional<RequestError> err, const std::string&) mutable {
        slot.complete(err ? requests_->request_error(*err) : kv::encode_simple("OK"));
      });
}

bool MembershipService::apply(const raft::Entry& entry) {
  if (entry.type == raft::EntryType::kConfChange) {
    apply_conf(entry);
    return true;
  }
  if (MemberDirectory::is_member_entry(entry.data)) {
    if (!members_.apply(entry.data)) options_.logger->warn("ignoring a malformed member entry");
    return true;
  }
  return false;
}

void MembershipService::apply_conf(const raft::Entry& entry) {
  // The addresses of the members the change names become part of the replicated state.
  auto cc = raft::decode_conf_change(entry.data);
  if (!cc) return;
  if (auto members = MemberDirectory::decode_context(cc->context)) members_.merge(*members);
  options_.logger->info("configuration at index {}: {}", entry.index, describe_conf(cc->conf));
  // Reach the members of the configuration in effect: the last one appended, which may be
  // newer than this one (a leader appends C(new) as soon as C(old,new) commits). Pruning
  // to this older entry's members would cut the newer ones off.
  connect_to_members(driver_->status().conf);
}

void MembershipService::on_conf_entry_appended(const raft::Entry& entry) {
  // In effect once appended: reach the members it names now (a new leader may need a
  // member of C(new) to commit anything), although the directory changes only on apply.
  auto cc = raft::decode_conf_change(entry.data);
  if (!cc) return;
  auto members = MemberDirectory::decode_context(cc->context);
  if (!members) return;
  for (const auto& [id, m] : *members) connect_to(id, m.peer);
}

void MembershipService::restore(MemberDirectory members, const raft::ConfState& conf) {
  members_ = std::move(members);
  connect_to_members(conf);
}

void MembershipService::add_known_peers(const std::map<raft::NodeId, net::PeerAddress>& peers) {
  for (const auto& [id, a] : peers) {
    peers_[id] = a;
    if (id != options_.id) links_.set_peer(id, a);
  }
  for (const auto& [id, m] : members_.members()) connect_to(id, m.peer);
}

void MembershipService::connect_to_members(const raft::ConfState& conf) {
  std::set<raft::NodeId> members(conf.voters.begin(), conf.voters.end());
  members.insert(conf.voters_outgoing.begin(), conf.voters_outgoing.end());
  members.insert(conf.learners.begin(), conf.learners.end());
  for (raft::NodeId id : members) {
    if (auto peer = members_.peer_address(id)) connect_to(id, *peer);
  }
  // A configuration without a node: stop dialling it (it was removed). A joining node has
  // no configuration yet and keeps the peers it was given.
  links_conf_ = conf;
  if (conf.voters.empty() && !bugs_.prune_without_configuration) return;
  for (auto it = peers_.begin(); it != peers_.end();) {
    if (it->first == options_.id || members.count(it->first)) {
      ++it;
      continue;
    }
    links_.remove_peer(it->first);
    if (!bugs_.prune_without_configuration) departed_[it->first] = it->second;
    it = peers_.erase(it);
  }
}

void MembershipService::heard_from(const raft::Message& m) {
  if (m.from == options_.id || peers_.contains(m.from)) return;
  using raft::MessageType;
  const bool from_leader = m.type == MessageType::kApp || m.type == MessageType::kHeartbeat ||
                           m.type == MessageType::kSnapshot;
  if (!from_leader || driver_ == nullptr || m.term < driver_->node().term()) return;
  std::optional<net::PeerAddress> addr;
  if (auto it = departed_.find(m.from); it != departed_.end()) {
    addr = it->second;
  } else if (auto peer = members_.peer_address(m.from)) {
    addr = net::parse_peer_address(*peer);
  } else if (auto learned = learned_peers_.find(m.from); learned != learned_peers_.end()) {
    addr = learned->second;
  }
  if (!addr) return;
  options_.logger->info("node {} leads term {}: dialling it again", m.from, m.term);
  departed_.erase(m.from);
  peers_[m.from] = *addr;
  links_.set_peer(m.from, *addr);
}

void MembershipService::tick(const raft::Status& st) {
  if (st.conf != links_conf_) connect_to_members(st.conf);
  announce(st);
}

void MembershipService::connect_to(raft::NodeId id, const std::string& peer) {
  if (id == options_.id || peer.empty()) return;
  auto addr = net::parse_peer_address(peer);
  if (!addr) return;
  auto it = peers_.find(id);
  if (it != peers_.end() && it->second == *addr) return;
  peers_[id] = *addr;
  departed_.erase(id);
  links_.set_peer(id, *addr);
}

void MembershipService::announce(const raft::Status& st) {
  if (st.role != raft::Role::kLeader) return;
  // A leader records the client addresses its peers announced, one entry at a time.
  if (!announcing_peer_) {
    for (const auto& [id, client] : learned_clients_) {
      if (members_.client_address(id) == client) continue;
      announcing_peer_ = true;
      driver_->propose(
          MemberDirectory::encode_entry(id, client),
          [this](std::optional<RequestError>, const std::string&) { announcing_peer_ = false; });
      break;
    }
  }
  // A leader makes sure the log says where clients reach it.
  if (announced_term_ == st.term) return;
  announced_term_ = st.term;
  if (members_.client_address(st.id) == options_.advertise_client) return;
  driver_->propose(MemberDirectory::encode_entry(st.id, options_.advertise_client),
                   [this](std::optional<RequestError> err, const std::string&) {
                     if (err) announced_term_ = 0;  // try again
                   });
}

}  // namespace raftkv::server
