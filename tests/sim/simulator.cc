#include "sim/simulator.h"

#include <algorithm>
#include <map>
#include <memory>

#include "sim/event_queue.h"
#include "sim/fault_injector.h"
#include "sim/rewrite_choreography.h"
#include "sim/trace.h"

namespace raftkv::sim {

std::string SimResult::report() const {
  std::string out = "seed " + std::to_string(seed) + ": ";
  if (!violation) return out + "ok\n";
  out += "VIOLATION of " + violation->property + " at t=" + std::to_string(at / kTick) +
         " ticks\n  " + violation->detail + "\nlast events (replay with --seed " +
         std::to_string(seed) + " --trace):\n" + trace_tail;
  return out;
}

namespace {

// One run. Implements the environment that nodes and clients see.
class Simulation : public NodeEnv, public ClientEnv {
 public:
  Simulation(uint64_t seed, const SimOptions& options)
      : options_(options),
        rng_(seed),
        network_(options.network, rng_.fork()),
        trace_(options.trace_tail),
        monitor_(pool_size(options)) {
    trace_.set_output(options.trace_out);
    trace_.set_keep_all(options.keep_trace);
    result_.seed = seed;
  }

  SimResult run();

  // NodeEnv and ClientEnv.
  Time now() const override { return queue_.now(); }
  void schedule(Time delay, std::function<void()> action) override {
    queue_.after(delay, std::move(action));
  }
  void note(std::string text) override { trace_.note(now(), std::move(text)); }
  void send(const raft::Message& m) override;
  void reply(const ClientReply& r) override;
  void request(raft::NodeId to, const ClientRequest& req) override;
  uint64_t next_op_id() override { return ++op_ids_; }
  void on_persisted(raft::NodeId id, const std::vector<raft::Entry>& entries,
                    const raft::Storage& storage, const raft::Snapshot* snapshot) override {
    monitor_.on_persisted(id, entries, storage, snapshot);
  }
  void on_applied(raft::NodeId id, const raft::Entry& entry, uint64_t digest) override {
    monitor_.on_applied(id, entry, digest);
  }
  void on_read_served(raft::NodeId id, const raft::ReadState& rs, raft::Index applied) override {
    monitor_.on_read_served(id, rs, applied);
  }
  void on_restart(raft::NodeId id, const raft::HardState& persisted) override {
    monitor_.on_restart(id, persisted);
  }
  void on_snapshot_restored(raft::NodeId id, const raft::SnapshotMeta& meta, uint64_t digest,
                            bool installed) override {
    monitor_.on_snapshot_restored(id, meta, digest, installed);
  }
  void on_disk_failure(raft::NodeId id, const std::string& error) override {
    note("n" + std::to_string(id) + " stops: its disk failed a write (" + error + ")");
    faults_->disk_failed(id);
  }
  void on_recovery_failure(raft::NodeId id, const std::string& error) override {
    fail("durability", "n" + std::to_string(id) + " after a crash: " + error);
  }

 private:
  void build();
  void build_compaction();
  void build_rewrite();
  std::unique_ptr<NodeDisk> make_disk(const raft::ConfState& conf, uint64_t seed) const;
  void schedule_tick(raft::NodeId id, Time at);
  // Runs events up to `until`, checking after each; false once a property broke or
  // `done` holds (checked once per tick).
  bool run_until(Time until, const std::function<bool()>& done = {});
  void after_event();
  raft::NodeId current_leader() const;
  bool converged() const;
  std::string liveness_problem() const;
  void fail(std::string property, std::string detail);
  void finish_stats();

  SimOptions options_;
  Rng rng_;
  EventQueue queue_;
  Network network_;
  Trace trace_;
  SafetyMonitor monitor_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<std::unique_ptr<SimClient>> clients_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<MembershipDriver> membership_;
  std::unique_ptr<LaggingFollowers> lagging_;
  std::unique_ptr<RewriteChoreography> rewrite_;
  std::vector<const raft::Node*> observed_;
  std::map<raft::NodeId, raft::Index> leader_commit_;  // commit index last seen, per node
  raft::Term last_leader_term_ = 0;                    // newest term seen with a leader
  uint64_t op_ids_ = 0;
  // Election timing: a leader of `crashed_term` crashed at `crashed_at`.
  std::optional<std::pair<Time, raft::Term>> leader_crash_;
  SimResult result_;
};

void Simulation::build() {
  raft::ConfState conf;
  for (int i = 1; i <= options_.nodes; ++i) conf.voters.push_back(static_cast<raft::NodeId>(i));
  DiskLatency disk = options_.disk;
  // Spare nodes start with an empty configuration: they learn it from the log once added.
  for (raft::NodeId id = 1; id <= static_cast<raft::NodeId>(pool_size(options_)); ++id) {
    raft::Config c;
    c.id = id;
    c.election_tick = options_.election_tick;
    c.heartbeat_tick = options_.heartbeat_tick;
    c.max_size_per_msg = options_.max_msg_bytes;
    c.max_inflight_msgs = options_.max_inflight;
    c.random_seed = rng_.next();
    raft::testing::InjectedBugs bugs;
    inject(options_.bug, bugs);
    raft::ConfState initial = id <= conf.voters.size() ? conf : raft::ConfState{};
    nodes_.push_back(std::make_unique<SimNode>(c, make_disk(initial, c.random_seed), *this,
                                               rng_.fork(), disk, bugs));
    // Nodes tick at different phases, like real clocks started at different moments.
    schedule_tick(id, rng_.uniform(1, kTick));
  }
  ClientConfig cc = options_.client;
  cc.nodes = pool_size(options_);
  cc.keys = options_.keys;
  for (int i = 1; i <= options_.clients; ++i) {
    clients_.push_back(
        std::make_unique<SimClient>(static_cast<uint64_t>(i), cc, *this, rng_.fork()));
  }
  FaultInjector::Hooks hooks;
  hooks.note = [this](std::string text) { note(std::move(text)); };
  hooks.leader = [this] { return current_leader(); };
  hooks.leader_crashing = [this](raft::NodeId id) {
    if (id == current_leader()) leader_crash_ = {now(), nodes_[id - 1]->node()->term()};
  };
  FaultConfig faults = options_.faults;
  if (rewrite_on(options_)) faults.partitions = false;  // the choreography owns the network
  faults_ = std::make_unique<FaultInjector>(faults, queue_, network_, nodes_, rng_.fork(),
                                            options_.bug == InjectedBug::kForgetVoteOnRestart,
                                            std::move(hooks));
  observed_.resize(nodes_.size());
  MembershipConfig mc = options_.membership;
  mc.enabled = mc.enabled || is_membership_bug(options_.bug);
  MembershipDriver::Hooks mh;
  mh.note = [this](std::string text) { note(std::move(text)); };
  mh.leader = [this] { return current_leader(); };
  // Forked only with membership changes on, so runs without them keep their seeds' meaning.
  membership_ = std::make_unique<MembershipDriver>(
      mc, queue_, nodes_, mc.enabled ? rng_.fork() : Rng(0), std::move(mh));
  build_compaction();
  build_rewrite();
}

void Simulation::build_rewrite() {
  if (!rewrite_on(options_)) return;
  RewriteChoreography::Hooks hooks;
  hooks.note = [this](std::string text) { note(std::move(text)); };
  hooks.leader = [this] { return current_leader(); };
  hooks.propose = [this](raft::NodeId id, KvCommand command) {
    ClientRequest req;
    req.op_id = next_op_id();
    req.command = std::move(command);
    nodes_[id - 1]->handle_request(req);
  };
  // Forked only when on, so runs without it keep their seeds' meaning.
  rewrite_ = std::make_unique<RewriteChoreography>(queue_, network_, nodes_, rng_.fork(),
                                                   std::move(hooks));
}

void Simulation::build_compaction() {
  CompactionConfig cc = options_.compaction;
  cc.enabled = compaction_on(options_);
  // Forked only with compaction on, so runs without it keep their seeds' meaning.
  Rng rng = cc.enabled ? rng_.fork() : Rng(0);
  if (cc.enabled) {
    for (auto& n : nodes_)
      n->set_compaction_interval(rng.uniform(cc.min_interval, cc.max_interval));
  }
  LaggingFollowers::Hooks hooks;
  hooks.note = [this](std::string text) { note(std::move(text)); };
  hooks.leader = [this] { return current_leader(); };
  hooks.isolate = [this](raft::NodeId id, std::string why) {
    faults_->isolate_soon(id, 0, std::move(why));
  };
  lagging_ = std::make_unique<LaggingFollowers>(cc, queue_, nodes_, rng.fork(),
                                                options_.bug == InjectedBug::kForgetVoteOnRestart,
                                                std::move(hooks));
}

std::unique_ptr<NodeDisk> Simulation::make_disk(const raft::ConfState& conf, uint64_t seed) const {
  bool skip_fsync = options_.bug == InjectedBug::kSkipFsync;
  if (options_.disk_kind == DiskKind::kMemory && !skip_fsync) {
    return std::make_unique<MemoryDisk>(conf);
  }
  DurableDiskOptions d = options_.durable;
  d.skip_fsync = d.skip_fsync || skip_fsync;
  // Derived from the node's seed rather than drawn, so choosing the disk does not shift
  // the rest of the run's random choices.
  return std::make_unique<DurableDisk>(conf, seed ^ 0xD15C0FF5E7ULL, d);
}

void Simulation::schedule_tick(raft::NodeId id, Time at) {
  queue_.at(at, [this, id] {
    nodes_[id - 1]->tick();
    schedule_tick(id, now() + kTick);
  });
}

void Simulation::send(const raft::Message& m) {
  ++result_.stats.messages;
  if (m.type == raft::MessageType::kSnapshot) ++result_.stats.snapshots_sent;
  if (m.type == raft::MessageType::kVoteResp && !m.reject &&
      rng_.chance(options_.faults.crash_after_vote)) {
    faults_->crash_soon(m.from, rng_.uniform(0, 30),
                        "crash n" + std::to_string(m.from) + " just after it voted");
  }
  std::vector<Time> delays = network_.deliveries(m.from, m.to);
  if (delays.empty()) {
    trace_.message(now(), "drop", m);
    return;
  }
  for (Time d : delays) {
    queue_.after(d, [this, m] {
      SimNode& to = *nodes_[m.to - 1];
      if (!network_.linked(m.from, m.to) || !to.live()) {
        trace_.message(now(), "drop", m);
        return;
      }
      trace_.message(now(), "recv", m);
      to.receive(m);
    });
  }
}

void Simulation::request(raft::NodeId to, const ClientRequest& req) {
  if (rng_.chance(network_.config().loss)) return;
  queue_.after(network_.delay(), [this, to, req] {
    note("c" + std::to_string(req.command.client) + " -> n" + std::to_string(to) + " op" +
         std::to_string(req.op_id) + "#" + std::to_string(req.attempt));
    nodes_[to - 1]->handle_request(req);
  });
}

void Simulation::reply(const ClientReply& r) {
  if (r.client == 0) return;  // the rewrite choreography's write: nobody waits for it
  if (rng_.chance(network_.config().loss)) return;
  queue_.after(network_.delay(), [this, r] {
    const char* kind = r.kind == ClientReply::Kind::kOk          ? "ok"
                       : r.kind == ClientReply::Kind::kNotLeader ? "not-leader"
                                                                 : "lost";
    note("c" + std::to_string(r.client) + " <- op" + std::to_string(r.op_id) + "#" +
         std::to_string(r.attempt) + " " + kind + " '" + r.result + "' leader " +
         std::to_string(r.leader));
    clients_[r.client - 1]->on_reply(r);
  });
}

raft::NodeId Simulation::current_leader() const {
  raft::NodeId best = raft::kNoNode;
  raft::Term best_term = 0;
  for (const auto& n : nodes_) {
    if (n->live() && n->node()->role() == raft::Role::kLeader && n->node()->term() >= best_term) {
      best = n->id();
      best_term = n->node()->term();
    }
  }
  return best;
}

void Simulation::fail(std::string property, std::string detail) {
  if (result_.violation) return;
  result_.violation = Violation{std::move(property), std::move(detail)};
  result_.at = now();
}

void Simulation::after_event() {
  ++result_.stats.events;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    observed_[i] = nodes_[i]->up() ? nodes_[i]->node() : nullptr;
  }
  monitor_.observe(observed_);
  if (rewrite_) rewrite_->observe();
  for (const raft::Node* node : observed_) {
    if (node == nullptr) continue;
    if (node->role() == raft::Role::kLeader && node->term() > last_leader_term_) {
      last_leader_term_ = node->term();
      if (rng_.chance(options_.faults.isolate_new_leader)) {
        faults_->isolate_soon(node->id(), rng_.uniform(0, 20),
                              "just after it was elected in term " + std::to_string(node->term()));
      }
    }
    raft::Index& seen = leader_commit_[node->id()];
    if (node->role() == raft::Role::kLeader &&
        raft::testing::internals(*node).log().committed() > seen &&
        rng_.chance(options_.faults.crash_after_commit)) {
      faults_->crash_soon(node->id(), rng_.uniform(0, 30),
                          "crash leader n" + std::to_string(node->id()) + " just after it " +
                              "committed up to " +
                              std::to_string(raft::testing::internals(*node).log().committed()));
    }
    seen = raft::testing::internals(*node).log().committed();
  }
  if (monitor_.failed()) fail(monitor_.violation()->property, monitor_.violation()->detail);
  if (leader_crash_) {
    raft::NodeId leader = current_leader();
    if (leader != raft::kNoNode && nodes_[leader - 1]->node()->term() > leader_crash_->second) {
      result_.stats.election_ticks.push_back(
          static_cast<int>((now() - leader_crash_->first + kTick / 2) / kTick));
      leader_crash_.reset();
    }
  }
}

bool Simulation::run_until(Time until, const std::function<bool()>& done) {
  Time next_probe = now();
  while (!result_.violation) {
    if (done && now() >= next_probe) {
      if (done()) return false;
      next_probe = now() + kTick;
    }
    if (!queue_.run_next(until)) break;
    after_event();
  }
  queue_.advance_to(until);
  return !result_.violation;
}

// Healed and quiet: one leader, every client idle, every node applied the whole log.
bool Simulation::converged() const {
  return liveness_problem().empty();
}

std::string Simulation::liveness_problem() const {
  raft::NodeId leader = current_leader();
  if (leader == raft::kNoNode) return "no leader";
  const raft::Node& l = *nodes_[leader - 1]->node();
  for (const auto& c : clients_) {
    if (c->busy()) return "a client operation is still pending";
  }
  if (raft::testing::internals(l).log().committed() <
      raft::testing::internals(l).log().last_index()) {
    return "leader n" + std::to_string(leader) + " has not committed its log";
  }
  // Members must have the whole log; nodes outside the configuration (never added, or
  // removed) need not, as nothing replicates to them.
  const raft::ConfState conf = l.status().conf;
  auto member = [&conf](raft::NodeId id) {
    for (const auto* set : {&conf.voters, &conf.voters_outgoing, &conf.learners}) {
      if (std::count(set->begin(), set->end(), id)) return true;
    }
    return false;
  };
  for (const auto& n : nodes_) {
    const raft::Node& node = *n->node();
    if (node.role() == raft::Role::kLeader && node.id() != leader) {
      return "n" + std::to_string(node.id()) + " still believes it leads";
    }
    if (!member(node.id())) continue;
    if (n->kv().applied() != raft::testing::internals(l).log().committed() ||
        raft::testing::internals(node).log().last_index() !=
            raft::testing::internals(l).log().last_index()) {
      return "n" + std::to_string(node.id()) + " has applied " + std::to_string(n->kv().applied()) +
             " of " + std::to_string(raft::testing::internals(l).log().committed());
    }
  }
  return {};
}

SimResult Simulation::run() {
  build();
  for (auto& c : clients_) c->start();
  faults_->start(10 * kTick, options_.fault_time);
  membership_->start(10 * kTick, options_.fault_time);
  lagging_->start(10 * kTick, options_.fault_time);
  if (rewrite_) rewrite_->start(10 * kTick, options_.fault_time);

  bool ok = run_until(options_.fault_time);
  if (ok) {
    note("heal: every partition, crash and pause ends; no more loss or duplication");
    if (rewrite_) rewrite_->stop();
    faults_->heal_all();
    // Slow advances are a fault too: from here on a batch is advanced with its fsync.
    for (auto& n : nodes_) n->end_lazy_advance();
    network_.set_loss(0);
    network_.set_duplicate(0);
    for (auto& c : clients_) c->wind_down();
    Time deadline = options_.fault_time + options_.liveness_bound;
    ok = run_until(deadline, [this] { return converged(); });
    if (ok && !converged()) {
      fail("liveness", liveness_problem() + " " + std::to_string(options_.liveness_bound / kTick) +
                           " ticks after the faults healed");
    }
  }
  if (!result_.violation) {
    std::vector<const raft::Storage*> logs;
    for (auto& n : nodes_) logs.push_back(&n->disk().storage());
    monitor_.final_check(logs);
    if (monitor_.failed()) fail(monitor_.violation()->property, monitor_.violation()->detail);
  }
  if (!result_.violation) {
    History history;
    for (auto& c : clients_) {
      history.insert(history.end(), c->history().begin(), c->history().end());
    }
    LinearizabilityReport lin = check_linearizable(history, options_.linearizability_steps);
    result_.stats.linearizable = lin.verdict;
    result_.stats.linearizability_steps = lin.steps;
    if (lin.verdict == Linearizable::kNo) {
      fail("linearizability",
           "the history of key " + lin.key + " has no linearization:\n" + lin.detail);
    }
  }
  finish_stats();
  result_.trace_tail = trace_.tail();
  if (options_.keep_trace) result_.trace = trace_.all();
  return std::move(result_);
}

void Simulation::finish_stats() {
  SimStats& s = result_.stats;
  s.end = now();
  s.faults = faults_->injected();
  s.conf_changes = membership_->proposed();
  s.faults += lagging_->injected();
  if (rewrite_) s.rewrites_staged = rewrite_->staged();
  for (const auto& n : nodes_) {
    s.compactions += n->compactions();
    s.snapshots_installed += n->snapshots_installed();
  }
  for (auto& c : clients_) {
    for (const Operation& op : c->history()) {
      switch (op.outcome) {
        case Outcome::kOk:
          ++s.ops_ok;
          break;
        case Outcome::kFailed:
          ++s.ops_failed;
          break;
        default:
          ++s.ops_unknown;
          break;
      }
    }
  }
  s.elections = monitor_.candidate_terms().size();
  for (raft::Term t : monitor_.candidate_terms()) {
    if (!monitor_.leaders().count(t)) ++s.split_votes;
  }
}

}  // namespace

SimOptions aggressive_options(int nodes) {
  SimOptions o;
  o.nodes = nodes;
  o.clients = 5;
  o.keys = 2;
  o.faults.min_gap = 2 * kTick;
  o.faults.max_gap = 15 * kTick;
  o.faults.max_duration = 40 * kTick;
  o.faults.min_down = 10;
  o.faults.max_down = 3 * kTick;
  o.faults.target_leader = 0.7;
  o.faults.crash_after_vote = 0.05;
  o.faults.crash_after_commit = 0.2;
  o.faults.isolate_new_leader = 0.3;
  o.network.slow = 0.15;
  o.max_msg_bytes = 1;
  o.max_inflight = 1;
  o.client.timeout = 8 * kTick;
  o.client.think_max = kTick;
  o.client.give_up = 0.05;
  return o;
}

SimOptions membership_options(int nodes) {
  SimOptions o = aggressive_options(nodes);
  o.membership.enabled = true;
  o.membership.min_gap = kTick;
  o.membership.max_gap = 8 * kTick;
  o.membership.retry = kTick / 2;
  o.membership.replace_majority_weight = 4;
  return o;
}

int pool_size(const SimOptions& options) {
  bool membership = options.membership.enabled || is_membership_bug(options.bug);
  return options.nodes + (membership ? options.membership.spare_nodes : 0);
}

SimOptions snapshot_options(int nodes) {
  SimOptions o = aggressive_options(nodes);
  o.compaction.enabled = true;
  return o;
}

SimOptions rewrite_options(int nodes) {
  SimOptions o;
  o.nodes = nodes;
  o.faults.rewrite_choreography = true;
  o.faults.partitions = false;
  o.faults.crashes = false;
  o.faults.pauses = false;
  return o;
}

bool rewrite_on(const SimOptions& options) {
  return (options.faults.rewrite_choreography || options.bug == InjectedBug::kIgnoreAcceptedTerm) &&
         pool_size(options) == options.nodes;
}

bool compaction_on(const SimOptions& options) {
  return options.compaction.enabled || is_snapshot_bug(options.bug);
}

SimResult run_simulation(uint64_t seed, const SimOptions& options) {
  Simulation sim(seed, options);
  return sim.run();
}

}  // namespace raftkv::sim
