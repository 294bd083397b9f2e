#include "interaction.h"

#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "harness.h"
#include "raft/membership.h"
#include "raftkv/raft/conf_change.h"

namespace raftkv::raft::test {
namespace {

std::string ids(const std::vector<NodeId>& v) {
  std::string out;
  for (NodeId id : v) out += (out.empty() ? "" : ",") + std::to_string(id);
  return out;
}

std::string conf_string(const ConfState& c) {
  std::string out = "voters=(" + ids(c.voters) + ")";
  if (c.joint()) out += "&&(" + ids(c.voters_outgoing) + ")";
  if (!c.learners.empty()) out += " learners=(" + ids(c.learners) + ")";
  return out;
}

std::string entry_string(const Entry& e) {
  std::string out = std::to_string(e.term) + "/" + std::to_string(e.index);
  if (e.type == EntryType::kConfChange) {
    auto cc = decode_conf_change(e.data);
    return out + " conf " + (cc ? conf_string(cc->conf) : std::string("?"));
  }
  return e.data.empty() ? out : out + " \"" + e.data + "\"";
}

std::string entries_string(const std::vector<Entry>& entries) {
  std::string out;
  for (const Entry& e : entries) out += (out.empty() ? "" : ", ") + entry_string(e);
  return "[" + out + "]";
}

std::string message_string(const Message& m) {
  std::ostringstream o;
  o << m.from << "->" << m.to << " " << to_string(m.type) << " term=" << m.term;
  switch (m.type) {
    case MessageType::kPreVote:
    case MessageType::kVote:
      o << " index=" << m.index << " logterm=" << m.log_term << (m.transfer ? " transfer" : "");
      break;
    case MessageType::kPreVoteResp:
    case MessageType::kVoteResp:
      o << (m.reject ? " rejected" : " granted");
      break;
    case MessageType::kApp:
      o << " index=" << m.index << " logterm=" << m.log_term << " commit=" << m.commit;
      if (!m.entries.empty()) o << " entries=" << entries_string(m.entries);
      break;
    case MessageType::kAppResp:
      o << " index=" << m.index;
      if (m.reject) o << " rejected hint=" << m.reject_hint << "/" << m.hint_term;
      break;
    case MessageType::kHeartbeat:
      o << " commit=" << m.commit << " read=" << m.read_seq;
      break;
    case MessageType::kHeartbeatResp:
      o << " read=" << m.read_seq;
      break;
    case MessageType::kSnapshot:
      if (m.snapshot) {
        o << " snapshot=" << m.snapshot->meta.term << "/" << m.snapshot->meta.index << " "
          << conf_string(m.snapshot->meta.conf);
      }
      break;
    case MessageType::kReadIndex:
    case MessageType::kReadIndexResp:
      o << " index=" << m.index << " context=" << m.context;
      break;
    case MessageType::kHup:
    case MessageType::kTimeoutNow:
      break;
  }
  return o.str();
}

// One parsed command: its name, positional arguments and key=value arguments.
struct Command {
  std::string name;
  std::vector<std::string> args;
  std::map<std::string, std::string> kv;

  NodeId id(size_t i) const { return std::stoull(args.at(i)); }
  int number(size_t i, int fallback) const {
    return i < args.size() ? std::stoi(args[i]) : fallback;
  }
  bool flag(const std::string& key, bool fallback) const {
    auto it = kv.find(key);
    return it == kv.end() ? fallback : it->second == "true";
  }
  std::vector<NodeId> list(const std::string& key) const {
    std::vector<NodeId> out;
    auto it = kv.find(key);
    if (it == kv.end()) return out;
    std::istringstream in(it->second);
    for (std::string part; std::getline(in, part, ',');) out.push_back(std::stoull(part));
    return out;
  }
};

Command parse_command(const std::string& line) {
  Command c;
  std::istringstream in(line);
  in >> c.name;
  for (std::string word; in >> word;) {
    if (auto eq = word.find('='); eq != std::string::npos) {
      c.kv[word.substr(0, eq)] = word.substr(eq + 1);
    } else {
      c.args.push_back(word);
    }
  }
  return c;
}

// What the runner watches on each node, to report changes after every command.
struct Observed {
  Role role = Role::kFollower;
  Term term = 0;
  Index commit = 0;
  bool operator==(const Observed&) const = default;
};

class Runner {
 public:
  std::string run(const Command& c);

 private:
  using Handler = void (Runner::*)(const Command&);
  static const std::map<std::string, Handler>& handlers();

  void add_nodes(const Command& c);
  void set_log(const Command& c);
  void campaign(const Command& c) { cluster().node(c.id(0)).campaign(); }
  void tick(const Command& c);
  void tick_all(const Command& c);
  void propose(const Command& c);
  void propose_conf_change(const Command& c);
  void transfer_leadership(const Command& c);
  void read_index(const Command& c);
  void deliver_msgs(const Command& c);
  void stabilize(const Command& c);
  void partition(const Command& c);
  void isolate(const Command& c) { cluster().isolate(c.id(0)); }
  void heal(const Command&) { cluster().heal(); }
  void drop_msgs(const Command& c);
  void add_node(const Command& c);
  void restart(const Command& c) { cluster().restart(c.id(0)); }
  void hold(const Command& c) { cluster().held.insert(c.id(0)); }
  void release(const Command& c) { cluster().held.erase(c.id(0)); }
  void compact(const Command& c);
  void status(const Command& c);
  void raft_log(const Command& c);
  void applied(const Command& c);
  void reads(const Command& c);
  void conf_enter(const Command& c);
  void conf_leave(const Command& c);

  Cluster& cluster() {
    if (!cluster_) throw std::runtime_error("add-nodes first");
    return *cluster_;
  }
  // Delivers the queued messages accepted by `to` (the rest stay queued); returns how many
  // were delivered or dropped.
  size_t deliver(const std::vector<NodeId>& to);
  void report_changes();

  std::unique_ptr<Cluster> cluster_;
  std::map<NodeId, Observed> observed_;
  std::ostringstream out_;
};

const std::map<std::string, Runner::Handler>& Runner::handlers() {
  static const std::map<std::string, Handler> table = {
      {"add-nodes", &Runner::add_nodes},
      {"log", &Runner::set_log},
      {"campaign", &Runner::campaign},
      {"tick", &Runner::tick},
      {"tick-all", &Runner::tick_all},
      {"propose", &Runner::propose},
      {"propose-conf-change", &Runner::propose_conf_change},
      {"transfer-leadership", &Runner::transfer_leadership},
      {"read-index", &Runner::read_index},
      {"deliver-msgs", &Runner::deliver_msgs},
      {"stabilize", &Runner::stabilize},
      {"partition", &Runner::partition},
      {"isolate", &Runner::isolate},
      {"heal", &Runner::heal},
      {"drop-msgs", &Runner::drop_msgs},
      {"add-node", &Runner::add_node},
      {"restart", &Runner::restart},
      {"hold", &Runner::hold},
      {"release", &Runner::release},
      {"compact", &Runner::compact},
      {"status", &Runner::status},
      {"raft-log", &Runner::raft_log},
      {"applied", &Runner::applied},
      {"reads", &Runner::reads},
      {"conf-enter", &Runner::conf_enter},
      {"conf-leave", &Runner::conf_leave},
  };
  return table;
}

std::string Runner::run(const Command& c) {
  out_.str("");
  auto it = handlers().find(c.name);
  if (it == handlers().end()) {
    out_ << "unknown command " << c.name << "\n";
  } else {
    try {
      (this->*(it->second))(c);
      if (cluster_) {
        cluster_->process();  // persist what the command caused, queue its messages
        report_changes();
      }
    } catch (const std::exception& e) {
      out_ << "error: " << e.what() << "\n";
    }
  }
  std::string text = out_.str();
  return text.empty() ? "ok\n" : text;
}

void Runner::report_changes() {
  for (NodeId id : cluster_->ids()) {
    Status st = cluster_->node(id).status();
    Observed now{st.role, st.term, st.commit};
    Observed& was = observed_[id];
    if (now.role != was.role || now.term != was.term) {
      out_ << "INFO " << id << " became " << to_string(now.role) << " at term " << now.term << "\n";
    }
    if (now.commit != was.commit) out_ << "INFO " << id << " commit=" << now.commit << "\n";
    was = now;
  }
}

void Runner::add_nodes(const Command& c) {
  bool pre_vote = c.flag("pre-vote", true), check_quorum = c.flag("check-quorum", true);
  int election = c.kv.count("election") ? std::stoi(c.kv.at("election")) : 10;
  int heartbeat = c.kv.count("heartbeat") ? std::stoi(c.kv.at("heartbeat")) : 1;
  uint64_t max_size = c.kv.count("max-size") ? std::stoull(c.kv.at("max-size")) : 1 << 20;
  cluster_ = std::make_unique<Cluster>(c.number(0, 3), [=](TestConfig& cfg) {
    cfg.pre_vote = pre_vote;
    cfg.check_quorum = check_quorum;
    cfg.election_tick = election;
    cfg.heartbeat_tick = heartbeat;
    cfg.max_size_per_msg = max_size;
  });
  observed_.clear();
  for (NodeId id : cluster_->ids()) observed_[id] = Observed{};
}

void Runner::set_log(const Command& c) {
  std::vector<Term> terms;
  for (size_t i = 2; i < c.args.size(); ++i) terms.push_back(std::stoull(c.args[i]));
  cluster().set_log(c.id(0), terms, std::stoull(c.args.at(1)));
  observed_[c.id(0)] = Observed{Role::kFollower, std::stoull(c.args.at(1)), 0};
}

void Runner::tick(const Command& c) {
  for (int i = 0; i < c.number(1, 1); ++i) cluster().node(c.id(0)).tick();
}

void Runner::tick_all(const Command& c) {
  for (int i = 0; i < c.number(0, 1); ++i) {
    for (NodeId id : cluster().ids()) cluster().node(id).tick();
  }
}

void Runner::propose(const Command& c) {
  auto r = cluster().node(c.id(0)).propose(c.args.size() > 1 ? c.args[1] : "");
  if (r) {
    out_ << "proposed at " << r->term << "/" << r->index << "\n";
  } else {
    out_ << "refused: " << to_string(r.error()) << "\n";
  }
}

void Runner::propose_conf_change(const Command& c) {
  ConfState target{c.list("voters"), {}, c.list("learners")};
  auto r = cluster().node(c.id(0)).propose_conf_change(target, "");
  if (r) {
    out_ << "proposed at " << r->term << "/" << r->index << "\n";
  } else {
    out_ << "refused: " << to_string(r.error()) << "\n";
  }
}

void Runner::transfer_leadership(const Command& c) {
  auto r = cluster().node(c.id(0)).transfer_leadership(c.id(1));
  if (!r) out_ << "refused: " << to_string(r.error()) << "\n";
}

void Runner::read_index(const Command& c) {
  auto r = cluster().node(c.id(0)).read_index(c.args.at(1));
  if (!r) out_ << "refused: " << to_string(r.error()) << "\n";
}

size_t Runner::deliver(const std::vector<NodeId>& to) {
  std::vector<Message> queued = cluster().take_messages(), later;
  size_t handled = 0;
  for (const Message& m : queued) {
    if (!to.empty() && std::find(to.begin(), to.end(), m.to) == to.end()) {
      later.push_back(m);
      continue;
    }
    ++handled;
    if (!cluster().linked(m.from, m.to)) {
      out_ << message_string(m) << " DROPPED\n";
      continue;
    }
    out_ << message_string(m) << "\n";
    cluster().node(m.to).step(m);
    cluster().process();
    report_changes();  // right after the message that caused them
  }
  for (const Message& m : later) cluster().send(m);
  return handled;
}

void Runner::deliver_msgs(const Command& c) {
  std::vector<NodeId> to;
  for (size_t i = 0; i < c.args.size(); ++i) to.push_back(c.id(i));
  deliver(to);
}

void Runner::stabilize(const Command& c) {
  for (int round = 0; round < c.number(0, 100); ++round) {
    if (deliver({}) == 0) return;
  }
  out_ << "not stable after " << c.number(0, 100) << " rounds\n";
}

void Runner::partition(const Command& c) {
  std::vector<std::vector<NodeId>> groups;
  for (const std::string& g : c.args) {
    Command one;
    one.kv["g"] = g;
    groups.push_back(one.list("g"));
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    for (size_t j = i + 1; j < groups.size(); ++j) {
      for (NodeId a : groups[i]) {
        for (NodeId b : groups[j]) cluster().cut(a, b);
      }
    }
  }
}

void Runner::drop_msgs(const Command&) {
  for (const Message& m : cluster().take_messages()) out_ << message_string(m) << " DROPPED\n";
}

void Runner::add_node(const Command& c) {
  cluster().add_node(c.id(0));
  observed_[c.id(0)] = Observed{};
}

void Runner::compact(const Command& c) {
  Index index = std::stoull(c.args.at(1));
  MemoryStorage& s = cluster().storage(c.id(0));
  ConfState conf = cluster().node(c.id(0)).conf_at(index);
  if (auto err = s.compact(index, conf, "snapshot@" + std::to_string(index))) {
    out_ << "error: " << to_string(*err) << "\n";
  }
}

void Runner::status(const Command& c) {
  Status st = cluster().node(c.id(0)).status();
  out_ << to_string(st.role) << " term=" << st.term << " vote=" << st.vote
       << " leader=" << st.leader << " commit=" << st.commit << " applied=" << st.applied
       << " last=" << st.last_index << " " << conf_string(st.conf) << "\n";
  if (st.role != Role::kLeader) return;
  for (const auto& [id, pr] : st.progress) {
    out_ << "  " << id << ": " << to_string(pr.state) << " match=" << pr.match
         << " next=" << pr.next << (pr.is_learner ? " learner" : "")
         << (pr.inflight ? " inflight=" + std::to_string(pr.inflight) : "") << "\n";
  }
}

void Runner::raft_log(const Command& c) {
  MemoryStorage& s = cluster().storage(c.id(0));
  Snapshot snap = s.snapshot();
  if (!snap.empty()) out_ << "snapshot " << snap.meta.term << "/" << snap.meta.index << "\n";
  if (s.last_index() < s.first_index()) {
    out_ << "log is empty: first index=" << s.first_index() << "\n";
    return;
  }
  auto entries = s.entries(s.first_index(), s.last_index() + 1, UINT64_MAX);
  for (const Entry& e : entries.value()) out_ << entry_string(e) << "\n";
}

void Runner::applied(const Command& c) {
  for (const Entry& e : cluster().peer(c.id(0)).applied) out_ << entry_string(e) << "\n";
}

void Runner::reads(const Command& c) {
  for (const ReadState& r : cluster().peer(c.id(0)).reads) {
    out_ << "read " << r.context << " at index " << r.index << "\n";
  }
}

void Runner::conf_enter(const Command& c) {
  ConfState current{c.list("voters"), c.list("outgoing"), c.list("learners")};
  ConfState target{c.list("to-voters"), c.list("to-outgoing"), c.list("to-learners")};
  auto next = membership::enter(current, target, c.flag("skip-joint", false));
  if (!next) {
    out_ << "refused: " << to_string(next.error()) << "\n";
    return;
  }
  out_ << (next->joint() ? "joint " : "simple ") << conf_string(*next) << "\n";
}

void Runner::conf_leave(const Command& c) {
  ConfState joint{c.list("voters"), c.list("outgoing"), c.list("learners")};
  out_ << conf_string(membership::leave(joint)) << "\n";
}

}  // namespace

std::string run_interaction_script(const std::string& text) {
  Runner runner;
  std::istringstream in(text);
  std::ostringstream out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      out << line << "\n";
      continue;
    }
    out << line << "\n----\n" << runner.run(parse_command(line)) << "\n";
    // Skip the expected output: the separator and every line up to a blank one.
    while (std::getline(in, line) && !line.empty()) {
    }
  }
  std::string result = out.str();
  while (result.size() >= 2 && result.substr(result.size() - 2) == "\n\n") result.pop_back();
  return result;
}

}  // namespace raftkv::raft::test
