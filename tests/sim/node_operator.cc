#include "sim/node_operator.h"

#include <algorithm>
#include <sstream>

#include "sim/resp_reply.h"
#include "sim/server_node.h"

namespace raftkv::sim {

namespace {

std::vector<raft::NodeId> parse_ids(const std::string& text) {
  std::vector<raft::NodeId> out;
  std::istringstream in(text);
  std::string id;
  while (std::getline(in, id, ',')) {
    if (!id.empty()) out.push_back(std::stoull(id));
  }
  return out;
}

bool has(const std::vector<raft::NodeId>& v, raft::NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

std::string join(const kv::Argv& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

NodeOperator::NodeOperator(NodeOperatorConfig config, EventQueue& queue, Rng rng, int pool,
                           int founders, Hooks hooks)
    : config_(config), queue_(queue), rng_(rng), pool_(pool), hooks_(std::move(hooks)) {
  for (int i = 1; i <= founders; ++i) ever_member_.insert(static_cast<raft::NodeId>(i));
}

void NodeOperator::start(Time from, Time until) {
  until_ = until;
  conn_ = hooks_.new_connection();
  queue_.at(from, [this] { cycle(); });
}

void NodeOperator::schedule(Time delay) {
  if (queue_.now() + delay >= until_) return;
  queue_.after(delay, [this] { cycle(); });
}

void NodeOperator::send(kv::Argv argv) {
  const uint64_t op = waiting_op_ = ++next_op_;
  hooks_.send(target_, conn_, op, std::move(argv));
  queue_.after(config_.timeout, [this, op] {
    if (waiting_op_ != op) return;  // answered
    note("no answer from n" + std::to_string(target_) + "; reconnecting elsewhere");
    waiting_op_ = 0;
    conn_ = hooks_.new_connection();  // replies on the old connection are ignored
    target_ = static_cast<raft::NodeId>(rng_.uniform(1, static_cast<uint64_t>(pool_)));
    schedule(kTick);
  });
}

void NodeOperator::cycle() {
  waiting_members_ = true;
  send({"RAFT", "MEMBERS"});
}

void NodeOperator::on_reply(uint64_t op, const std::string& reply) {
  if (op != waiting_op_) return;
  waiting_op_ = 0;
  if (waiting_members_) {
    waiting_members_ = false;
    return on_members(reply);
  }
  on_change(reply);
}

std::optional<NodeOperator::View> NodeOperator::parse_members(const std::string& reply) {
  const std::optional<RespReply> r = parse_reply(reply);
  if (!r || r->type != '$' || r->nil) return std::nullopt;
  View view;
  std::istringstream in(r->text);
  std::string line;
  bool conf = false;
  while (std::getline(in, line)) {
    if (line.starts_with("id=") && line.find(" role=leader ") != std::string::npos) {
      view.leader = std::stoull(line.substr(3));
    }
    if (!line.starts_with("conf=voters ")) continue;
    conf = true;
    const std::string rest = line.substr(12);
    view.joint = rest.find("(joint)") != std::string::npos;
    view.voters = parse_ids(rest.substr(0, rest.find_first_of(" ")));
    if (size_t l = rest.find(", learners "); l != std::string::npos) {
      view.learners = parse_ids(rest.substr(l + 11));
    }
  }
  if (!conf) return std::nullopt;
  return view;
}

void NodeOperator::on_members(const std::string& reply) {
  const std::optional<View> view = parse_members(reply);
  if (!view || view->leader != target_) {
    // Not the leader (or no answer it can give): ask the one it names, or anyone.
    const raft::NodeId next =
        view && view->leader != raft::kNoNode
            ? view->leader
            : static_cast<raft::NodeId>(rng_.uniform(1, static_cast<uint64_t>(pool_)));
    note("n" + std::to_string(target_) + " does not lead; asking n" + std::to_string(next));
    target_ = next;
    return schedule(kTick);
  }
  for (raft::NodeId id : view->voters) ever_member_.insert(id);
  for (raft::NodeId id : view->learners) ever_member_.insert(id);
  if (view->joint) return schedule(kTick);  // the leader finishes it by itself
  kv::Argv change = pick(*view);
  if (change.empty()) return schedule(rng_.uniform(config_.min_gap, config_.max_gap));
  ++sent_;
  note("n" + std::to_string(target_) + " <- " + join(change));
  send(std::move(change));
}

void NodeOperator::on_change(const std::string& reply) {
  const std::optional<RespReply> r = parse_reply(reply);
  if (r && r->type == '+') {
    ++done_;
    note("n" + std::to_string(target_) + ": OK");
  } else {
    note("n" + std::to_string(target_) + ": not done: " + reply.substr(0, reply.find('\r')));
    if (reply.starts_with("-MOVED ")) {
      const raft::NodeId to =
          sim_node_at(reply.substr(reply.rfind(' ') + 1, reply.find('\r') - reply.rfind(' ') - 1));
      if (to != raft::kNoNode) target_ = to;
    }
  }
  schedule(rng_.uniform(config_.min_gap, config_.max_gap));
}

kv::Argv NodeOperator::pick(const View& view) {
  const std::vector<raft::NodeId>& voters = view.voters;
  const std::vector<raft::NodeId>& learners = view.learners;
  std::vector<raft::NodeId> addable, members = voters;
  members.insert(members.end(), learners.begin(), learners.end());
  for (raft::NodeId id = 1; id <= static_cast<raft::NodeId>(pool_); ++id) {
    if (has(members, id)) continue;
    if (!ever_member_.count(id) || hooks_.removal_committed(id)) addable.push_back(id);
  }
  auto any = [this](const std::vector<raft::NodeId>& v) {
    return v[rng_.uniform(0, v.size() - 1)];
  };
  switch (rng_.uniform(0, 4)) {
    case 0: {
      if (addable.empty()) return {};
      const raft::NodeId id = any(addable);
      if (ever_member_.count(id)) {
        note("n" + std::to_string(id) + " is wiped and started again to join");
        hooks_.rejoin(id);
      }
      ever_member_.insert(id);
      return {"RAFT", "ADD-LEARNER", std::to_string(id), sim_peer_address(id).to_string(),
              sim_client_address(id)};
    }
    case 1:
      if (learners.empty()) return {};
      return {"RAFT", "PROMOTE", std::to_string(any(learners))};
    case 2: {
      std::vector<raft::NodeId> removable = learners;
      if (voters.size() > config_.min_voters) {
        removable.insert(removable.end(), voters.begin(), voters.end());
      }
      if (removable.empty()) return {};
      return {"RAFT", "REMOVE", std::to_string(any(removable))};
    }
    case 3: {
      // A random set of at least min_voters of the members: replaces several at once.
      if (members.size() < config_.min_voters) return {};
      std::vector<raft::NodeId> pool = members;
      const size_t n = rng_.uniform(config_.min_voters, pool.size());
      kv::Argv argv = {"RAFT", "SET-VOTERS"};
      for (size_t i = 0; i < n; ++i) {
        const size_t k = rng_.uniform(0, pool.size() - 1);
        argv.push_back(std::to_string(pool[k]));
        pool.erase(pool.begin() + static_cast<long>(k));
      }
      return argv;
    }
    default: {
      std::vector<raft::NodeId> others = voters;
      std::erase(others, view.leader);
      if (others.empty()) return {};
      return {"RAFT", "TRANSFER", std::to_string(any(others))};
    }
  }
}

}  // namespace raftkv::sim
