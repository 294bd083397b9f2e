// RAFT: the operator's membership commands (issue: membership changes by joint consensus).
//
//   RAFT MEMBERS                          members with roles, addresses and progress
//   RAFT ADD-LEARNER <id> <peer> <client> add a non-voting member (it catches up first)
//   RAFT PROMOTE <id>                     make a caught-up learner a voter
//   RAFT REMOVE <id>                      remove a voter or learner (the leader too)
//   RAFT SET-VOTERS <id> [<id> ...]       replace several voters in one joint change
//   RAFT TRANSFER <id>                    hand leadership to a voter
//   RAFT BACKUP                           a snapshot file of the state at a linearizable
//                                         point (raftkv snapshot save; server_backup.cc)
//
// Changes run on the leader (others answer -MOVED) and reply +OK once the change's entry is
// applied; a voter change then completes by itself (the leader appends C(new)).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "kv/resp_writer.h"
#include "net/handshake.h"
#include "server/server.h"

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

}  // namespace

std::string Server::join_ids(const std::vector<raft::NodeId>& ids) {
  std::string out;
  for (raft::NodeId id : ids) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::string Server::describe_conf(const raft::ConfState& conf) {
  std::string out = "voters " + join_ids(conf.voters);
  if (conf.joint()) out += " and " + join_ids(conf.voters_outgoing) + " (joint)";
  if (!conf.learners.empty()) out += ", learners " + join_ids(conf.learners);
  return out;
}

std::string Server::members_reply() const {
  raft::Status st = driver_->status();
  std::string text;
  for (const auto& [id, progress] : st.progress) {  // every member, in id order
    const raft::PeerProgress* pr = &progress;
    std::string role = id == st.leader ? "leader" : st.is_voter(id) ? "voter" : "learner";
    auto peer = peer_addresses_.find(id);
    text += "id=" + std::to_string(id) + " role=" + role + " peer=" +
            (id == st.id                     ? options_.listen_peer.to_string()
             : peer != peer_addresses_.end() ? peer->second.to_string()
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

void Server::handle_raft_command(const kv::Argv& argv, ReplySlot& slot) {
  std::string sub = upper(argv[1]);
  if (sub == "MEMBERS" && argv.size() == 2) {
    slot.complete(members_reply());
    return;
  }
  auto usage = [&slot](const char* what) {
    slot.complete(kv::encode_error(std::string("ERR usage: ") + what));
  };
  if (auto err = driver_->unavailable()) {
    slot.complete(redirect_error(*err));
    return;
  }
  if (sub == "BACKUP" && argv.size() == 2) {
    backup(slot);  // server_backup.cc
    return;
  }
  raft::NodeId id = raft::kNoNode;
  if (argv.size() < 3 || !parse_id(argv[2], &id)) {
    usage(
        "RAFT MEMBERS | ADD-LEARNER id peer client | PROMOTE id | REMOVE id | "
        "SET-VOTERS id... | TRANSFER id");
    return;
  }
  if (sub == "TRANSFER" && argv.size() == 3) {
    if (auto err = driver_->transfer_leadership(id)) {
      slot.complete(*err == RequestError::kInvalid
                        ? kv::encode_error("ERR node " + argv[2] + " is not a voter")
                        : request_error(*err));
    } else {
      slot.complete(kv::encode_simple("OK"));
    }
    return;
  }

  const raft::Status st = driver_->status();
  const raft::ConfState& cur = st.conf;
  if (cur.joint()) {
    slot.complete(request_error(RequestError::kBusy));
    return;
  }
  raft::ConfState target{cur.voters, {}, cur.learners};
  std::map<raft::NodeId, MemberAddresses> named;
  auto caught_up = [&](raft::NodeId learner) -> std::string {
    auto it = st.progress.find(learner);
    const raft::PeerProgress* pr = it == st.progress.end() ? nullptr : &it->second;
    raft::Index last = st.last_index;
    if (pr == nullptr || pr->match + options_.promote_max_lag < last) {
      return "ERR learner " + std::to_string(learner) + " has not caught up (at " +
             std::to_string(pr ? pr->match : 0) + " of " + std::to_string(last) +
             "); retry when it has";
    }
    return "";
  };

  if (sub == "ADD-LEARNER" && argv.size() == 5) {
    if (contains(cur.voters, id) || contains(cur.learners, id)) {
      slot.complete(kv::encode_error("ERR node " + argv[2] + " is already a member"));
      return;
    }
    if (!net::parse_peer_address(argv[3]) || !net::valid_client_address(argv[4]) ||
        !net::parse_peer_address(argv[4])) {
      usage("RAFT ADD-LEARNER id peer-host:port client-host:port");
      return;
    }
    target.learners.push_back(id);
    named[id] = MemberAddresses{argv[4], argv[3]};
  } else if (sub == "PROMOTE" && argv.size() == 3) {
    if (!contains(cur.learners, id)) {
      slot.complete(kv::encode_error("ERR node " + argv[2] + " is not a learner"));
      return;
    }
    if (auto err = caught_up(id); !err.empty()) {
      slot.complete(kv::encode_error(err));
      return;
    }
    erase(&target.learners, id);
    target.voters.push_back(id);
  } else if (sub == "REMOVE" && argv.size() == 3) {
    if (!contains(cur.voters, id) && !contains(cur.learners, id)) {
      slot.complete(kv::encode_error("ERR node " + argv[2] + " is not a member"));
      return;
    }
    erase(&target.voters, id);
    erase(&target.learners, id);
  } else if (sub == "SET-VOTERS") {
    target.voters.clear();
    for (size_t i = 2; i < argv.size(); ++i) {
      raft::NodeId v = raft::kNoNode;
      if (!parse_id(argv[i], &v) || (!contains(cur.voters, v) && !contains(cur.learners, v))) {
        slot.complete(kv::encode_error("ERR node " + argv[i] +
                                       " is not a member (add it as a learner first)"));
        return;
      }
      if (contains(cur.learners, v)) {
        if (auto err = caught_up(v); !err.empty()) {
          slot.complete(kv::encode_error(err));
          return;
        }
        erase(&target.learners, v);
      }
      if (!contains(target.voters, v)) target.voters.push_back(v);
    }
  } else {
    usage(
        "RAFT MEMBERS | ADD-LEARNER id peer client | PROMOTE id | REMOVE id | "
        "SET-VOTERS id... | TRANSFER id");
    return;
  }

  // The entry carries every member's known addresses, so a node that joins (or restarts
  // from a snapshot) learns how to reach all of them from the log alone.
  for (raft::NodeId m : target.voters) named.try_emplace(m);
  for (raft::NodeId m : target.learners) named.try_emplace(m);
  for (auto& [m, a] : named) {
    if (a.client.empty()) a.client = members_.client_address(m).value_or("");
    if (a.peer.empty()) {
      if (m == options_.id) {
        a.peer = options_.listen_peer.to_string();
      } else if (auto p = peer_addresses_.find(m); p != peer_addresses_.end()) {
        a.peer = p->second.to_string();
      }
    }
  }
  for (const auto& [m, a] : named) connect_to(m, a.peer);  // the leader replicates to it now
  spdlog::info("membership change requested: {} -> {}", describe_conf(cur), describe_conf(target));
  driver_->propose_conf_change(
      target, MemberDirectory::encode_context(named),
      [this, slot](std::optional<RequestError> err, const std::string&) mutable {
        slot.complete(err ? request_error(*err) : kv::encode_simple("OK"));
      });
}

}  // namespace raftkv::server
