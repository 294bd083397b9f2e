#include "sim/rewrite_choreography.h"

#include <algorithm>

#include "raft/testing.h"

namespace raftkv::sim {

namespace {

constexpr Time kElection = 10 * kTick;  // the simulator's election timeout

std::string name(raft::NodeId id) {
  return "n" + std::to_string(id);
}

}  // namespace

RewriteChoreography::RewriteChoreography(EventQueue& queue, Network& network,
                                         std::vector<std::unique_ptr<SimNode>>& nodes, Rng rng,
                                         Hooks hooks)
    : queue_(queue), network_(network), nodes_(nodes), rng_(rng), hooks_(std::move(hooks)) {}

void RewriteChoreography::start(Time from, Time until) {
  until_ = until;
  if (nodes_.size() < 5) return;  // B needs a majority without A and C
  schedule_begin(from + rng_.uniform(0, 2 * kElection));
}

void RewriteChoreography::schedule_begin(Time delay) {
  queue_.after(delay, [this] { begin(); });
}

bool RewriteChoreography::all_live() const {
  return std::all_of(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->live(); });
}

raft::Term RewriteChoreography::log_term(raft::NodeId id, raft::Index index) const {
  const raft::Node* n = node(id).node();
  return n == nullptr ? 0 : raft::testing::internals(*n).log().term(index).value_or(0);
}

raft::Term RewriteChoreography::disk_term(raft::NodeId id, raft::Index index) const {
  auto t = nodes_[id - 1]->disk().storage().term(index);
  return t ? *t : 0;
}

bool RewriteChoreography::leads(raft::NodeId id, raft::Term above) const {
  const raft::Node* n = node(id).node();
  return node(id).live() && n->role() == raft::Role::kLeader && n->term() > above;
}

void RewriteChoreography::isolate(raft::NodeId id) {
  for (const auto& n : nodes_) {
    if (n->id() != id) network_.cut_both(id, n->id());
  }
}

// Step 1: a quiet leader A and a caught-up follower C, alone together; C's advances held.
void RewriteChoreography::begin() {
  if (phase_ != Phase::kIdle || queue_.now() + 30 * kElection > until_) return;
  raft::NodeId a = hooks_.leader();
  if (a == raft::kNoNode || !all_live()) return schedule_begin(3 * kTick);
  const auto& log = raft::testing::internals(*node(a).node()).log();
  std::vector<raft::NodeId> followers;
  for (const auto& n : nodes_) {
    if (n->id() != a && log_term(n->id(), log.last_index()) == log.term(log.last_index())) {
      followers.push_back(n->id());
    }
  }
  if (log.committed() != log.last_index() || followers.empty()) return schedule_begin(3 * kTick);
  ++attempts_;
  a_ = a;
  c_ = followers[rng_.uniform(0, followers.size() - 1)];
  rest_.clear();
  for (const auto& n : nodes_) {
    if (n->id() != a_ && n->id() != c_) rest_.push_back(n->id());
  }
  network_.split({a_, c_}, rest_);
  node(c_).hold_advances();
  node(c_).set_slow_writes(true);
  KvCommand write;
  write.seq = ++seq_;
  write.op = KvOp::kPut;
  write.key = "rewrite";  // no client's key: the linearizability check ignores it
  write.arg = std::to_string(seq_);
  hooks_.propose(a_, write);
  n_ = raft::testing::internals(*node(a_).node()).log().last_index();
  t_ = node(a_).node()->term();
  hooks_.note("rewrite choreography: leader " + name(a_) + " and " + name(c_) +
              " cut off from the rest, " + name(c_) + " advances nothing; " + name(a_) +
              " appends " + std::to_string(n_) + "/" + std::to_string(t_));
  next_phase(Phase::kToFollower);
}

void RewriteChoreography::next_phase(Phase phase) {
  phase_ = phase;
  deadline_ = queue_.now() + 8 * kElection;
}

void RewriteChoreography::observe() {
  if (phase_ == Phase::kIdle) return;
  if (queue_.now() > deadline_ || !node(c_).up()) return end_attempt("gave up");
  switch (phase_) {
    case Phase::kToFollower:
      if (log_term(c_, n_) == t_) on_follower_has_first_copy();
      break;
    case Phase::kElectOther:
      for (raft::NodeId x : rest_) {
        if (leads(x, t_)) return on_other_elected(x);
      }
      break;
    case Phase::kOtherToFollower:
      if (log_term(c_, n_) == t2_ && disk_term(c_, n_) == t2_) on_follower_has_second_copy();
      break;
    case Phase::kElectFirst:
      if (leads(a_, t2_) && raft::testing::internals(*node(a_).node()).log().committed() > n_) {
        on_first_reelected();
      }
      break;
    case Phase::kRewrite:
      if (log_term(c_, n_) == t_ &&
          raft::testing::internals(*node(c_).node()).log().committed() >= n_) {
        on_rewritten();
      }
      break;
    case Phase::kIdle:
      break;
  }
}

// Step 2: A and C alone; the others elect X.
void RewriteChoreography::on_follower_has_first_copy() {
  isolate(a_);
  isolate(c_);
  hooks_.note("rewrite choreography: " + name(c_) + " has " + std::to_string(n_) + "/" +
              std::to_string(t_) + "; " + name(a_) + " and " + name(c_) + " isolated");
  next_phase(Phase::kElectOther);
}

// X's first appends must reach neither of the other two: they elect A next.
void RewriteChoreography::on_other_elected(raft::NodeId x) {
  x_ = x;
  t2_ = node(x).node()->term();
  for (raft::NodeId y : rest_) {
    if (y != x_) network_.cut_both(x_, y);
  }
  network_.mend_both(x_, c_);
  hooks_.note("rewrite choreography: " + name(x_) + " leads term " + std::to_string(t2_) +
              "; it reaches only " + name(c_));
  next_phase(Phase::kOtherToFollower);
}

// Step 3: C wrote X's no-op over A's entry; the others elect A.
void RewriteChoreography::on_follower_has_second_copy() {
  network_.cut_both(x_, c_);
  // A and just enough of the others for a majority: without A's vote they cannot elect one
  // of their own, whose log is older than A's. Any beyond those stay alone.
  size_t joined = 0;
  const size_t wanted = nodes_.size() / 2;
  for (raft::NodeId y : rest_) {
    if (y == x_) continue;
    if (joined++ < wanted) {
      network_.mend_both(a_, y);
    } else {
      isolate(y);
    }
  }
  hooks_.note("rewrite choreography: " + name(c_) + " wrote " + std::to_string(n_) + "/" +
              std::to_string(t2_) + "; " + name(x_) + " isolated, " + name(a_) +
              " rejoins the others");
  next_phase(Phase::kElectFirst);
}

// Step 4: A, leading again with its no-op committed, rewrites C's index.
void RewriteChoreography::on_first_reelected() {
  network_.mend_both(a_, c_);
  hooks_.note("rewrite choreography: " + name(a_) + " leads again in term " +
              std::to_string(node(a_).node()->term()) + "; it reaches " + name(c_));
  next_phase(Phase::kRewrite);
}

void RewriteChoreography::on_rewritten() {
  ++staged_;
  hooks_.note("rewrite choreography: " + name(c_) + " holds " + std::to_string(n_) + "/" +
              std::to_string(t_) + " again, not yet written; its held batches advance");
  node(c_).release_advances();
  phase_ = Phase::kIdle;
  raft::NodeId c = c_;
  queue_.after(rng_.uniform(1, 3 * kTick), [this, c] {
    node(c).set_slow_writes(false);
    network_.heal();
    schedule_begin(rng_.uniform(kElection, 4 * kElection));
  });
}

void RewriteChoreography::end_attempt(const std::string& why) {
  hooks_.note("rewrite choreography: " + why + " (" + name(c_) + ")");
  node(c_).release_advances();
  node(c_).set_slow_writes(false);
  network_.heal();
  phase_ = Phase::kIdle;
  schedule_begin(rng_.uniform(kElection, 4 * kElection));
}

void RewriteChoreography::stop() {
  until_ = 0;
  if (phase_ != Phase::kIdle) end_attempt("stopped: the faults heal");
}

}  // namespace raftkv::sim
