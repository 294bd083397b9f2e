#include "sim/sim_client.h"

#include <utility>

namespace raftkv::sim {

SimClient::SimClient(uint64_t id, ClientConfig config, ClientEnv& env, Rng rng)
    : id_(id), config_(config), env_(env), rng_(rng) {}

void SimClient::start() {
  env_.schedule(rng_.uniform(0, config_.think_max), [this] { issue(); });
}

KvCommand SimClient::next_command() {
  KvCommand c;
  c.client = id_;
  c.key = "k" + std::to_string(rng_.uniform(1, static_cast<uint64_t>(config_.keys)));
  std::string value = std::to_string(id_) + "." + std::to_string(++counter_) + ";";
  uint64_t pick = rng_.uniform(0, 99);
  if (pick < 30) {
    c.op = KvOp::kGet;
  } else if (pick < 50) {
    c.op = KvOp::kPut;
    c.arg = value;
  } else if (pick < 75) {
    c.op = KvOp::kAppend;
    c.arg = value;
  } else {
    c.op = KvOp::kCas;
    c.expected = last_seen_[c.key];
    c.arg = value;
  }
  if (c.op != KvOp::kGet) c.seq = ++seq_;
  return c;
}

void SimClient::issue() {
  if (winding_down_ || current_) return;
  Operation op;
  op.id = env_.next_op_id();
  op.command = next_command();
  op.invoke = env_.now();
  env_.note("c" + std::to_string(id_) + " invoke " + op.describe());
  history_.push_back(std::move(op));
  current_ = history_.size() - 1;
  attempt_ = 0;
  unresolved_.clear();
  send_attempt(0);
}

void SimClient::send_attempt(Time delay) {
  uint64_t attempt = ++attempt_;
  if (leader_guess_ == raft::kNoNode) leader_guess_ = random_node();
  raft::NodeId to = leader_guess_;
  const Operation& op = history_[*current_];
  uint64_t op_id = op.id;
  ClientRequest req{op_id, attempt, op.command};
  if (op.command.op != KvOp::kGet) unresolved_.insert(attempt);
  env_.schedule(delay, [this, to, req] {
    if (current_ && history_[*current_].id == req.op_id) env_.request(to, req);
  });
  env_.schedule(delay + config_.timeout, [this, op_id, attempt] { on_timeout(op_id, attempt); });
}

void SimClient::on_timeout(uint64_t op_id, uint64_t attempt) {
  if (!current_ || history_[*current_].id != op_id || attempt != attempt_) return;
  if (!winding_down_ && rng_.chance(config_.give_up)) {
    finish(unresolved_.empty() ? Outcome::kFailed : Outcome::kUnknown, {});
    return;
  }
  // The guessed leader is unreachable or deposed: try another node.
  raft::NodeId next = random_node();
  if (next == leader_guess_) next = next % static_cast<uint64_t>(config_.nodes) + 1;
  leader_guess_ = next;
  send_attempt(0);
}

void SimClient::on_reply(const ClientReply& reply) {
  if (!current_ || history_[*current_].id != reply.op_id) return;  // an earlier operation's
  switch (reply.kind) {
    case ClientReply::Kind::kOk:
      finish(Outcome::kOk, reply.result);
      return;
    case ClientReply::Kind::kNotLeader:
    case ClientReply::Kind::kLost:
      unresolved_.erase(reply.attempt);
      if (reply.attempt != attempt_) return;  // a newer attempt is already out
      leader_guess_ = reply.leader != raft::kNoNode ? reply.leader : random_node();
      // Without a hint, wait a little: an election is probably under way.
      send_attempt(reply.leader != raft::kNoNode ? rng_.uniform(1, 20) : kTick);
      return;
  }
}

void SimClient::finish(Outcome outcome, std::string result) {
  Operation& op = history_[*current_];
  op.outcome = outcome;
  op.result = std::move(result);
  if (outcome == Outcome::kOk) {
    op.complete = env_.now();
    const KvCommand& c = op.command;
    switch (c.op) {
      case KvOp::kGet:
        last_seen_[c.key] = op.result;
        break;
      case KvOp::kPut:
        last_seen_[c.key] = c.arg;
        break;
      case KvOp::kAppend:
        last_seen_[c.key] += c.arg;
        break;
      case KvOp::kCas:
        if (op.result == "ok") last_seen_[c.key] = c.arg;
        break;
    }
  }
  env_.note("c" + std::to_string(id_) + " return " + op.describe());
  current_.reset();
  if (!winding_down_) env_.schedule(rng_.uniform(1, config_.think_max), [this] { issue(); });
}

}  // namespace raftkv::sim
