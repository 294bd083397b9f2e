#include "sim/sim_node.h"

#include <utility>

namespace raftkv::sim {

SimNode::SimNode(raft::Config config, std::unique_ptr<NodeDisk> disk, NodeEnv& env, Rng rng,
                 DiskLatency latency, raft::testing::InjectedBugs bugs)
    : config_(config),
      bugs_(bugs),
      disk_(std::move(disk)),
      env_(env),
      rng_(rng),
      latency_(latency) {
  node_ = raft::testing::NodeAccess::make_unique(config_, &disk_->storage(), bugs_);
}

void SimNode::tick() {
  if (!live()) return;
  node_->tick();
  pump();
}

void SimNode::receive(const raft::Message& m) {
  if (!live()) return;
  node_->step(m);
  pump();
}

void SimNode::handle_request(const ClientRequest& req) {
  if (!live()) return;  // the request is lost; the client times out
  if (req.command.op == KvOp::kGet) {
    std::string context = std::to_string(req.op_id) + "." + std::to_string(req.attempt);
    if (!node_->read_index(context)) {
      refuse(req);
      return;
    }
    pending_reads_[context] = req;
  } else {
    auto result = node_->propose(encode(req.command));
    if (!result) {
      refuse(req);
      return;
    }
    pending_writes_.emplace(result->index, PendingWrite{req, result->term});
  }
  pump();
}

std::optional<raft::ProposeError> SimNode::propose_conf_change(const raft::ConfState& target,
                                                               std::string context) {
  if (!live()) return raft::ProposeError::kNotLeader;
  auto result = node_->propose_conf_change(target, std::move(context));
  pump();
  if (result) return std::nullopt;
  return result.error();
}

std::optional<raft::ProposeError> SimNode::transfer_leadership(raft::NodeId target) {
  if (!live()) return raft::ProposeError::kNotLeader;
  auto result = node_->transfer_leadership(target);
  pump();
  if (result) return std::nullopt;
  return result.error();
}

void SimNode::refuse(const ClientRequest& req) {
  ClientReply r;
  r.client = req.command.client;
  r.op_id = req.op_id;
  r.attempt = req.attempt;
  r.kind = ClientReply::Kind::kNotLeader;
  r.leader = node_->leader();
  env_.reply(r);
}

// Starts Readies while fewer than max_in_flight are being written (and none holds a
// snapshot, which must finish before later entries apply). Their `messages` leave at
// once; the rest waits for the writes, which complete in order.
void SimNode::pump() {
  auto busy = [this] {
    return static_cast<int>(in_flight_.size() + (holding_advances_ ? 0 : durable_.size()));
  };
  while (live() && busy() < latency_.max_in_flight && !snapshot_in_flight() && node_->has_ready()) {
    raft::Ready rd = node_->ready();
    for (const auto& m : rd.messages) env_.send(m);
    in_flight_.push_back(std::move(rd));
    if (in_flight_.size() == 1 && rng_.chance(latency_.instant) && !slow_writes_) {
      finish_ready();
      continue;
    }
    // Each scheduled completion finishes the oldest write: the disk keeps their order.
    uint64_t incarnation = incarnation_;
    env_.schedule(rng_.uniform(1, latency_.max),
                  [this, incarnation] { persist_done(incarnation); });
  }
}

bool SimNode::snapshot_in_flight() const {
  for (const auto* queue : {&in_flight_, &durable_}) {
    for (const raft::Ready& rd : *queue) {
      if (rd.snapshot) return true;
    }
  }
  return false;
}

void SimNode::persist_done(uint64_t incarnation) {
  if (incarnation != incarnation_ || in_flight_.empty()) return;  // crashed meanwhile
  if (paused_) {
    ++writes_done_while_paused_;
    return;
  }
  finish_ready();
  pump();
}

void SimNode::resume() {
  if (!paused_) return;
  paused_ = false;
  for (; writes_done_while_paused_ > 0 && !in_flight_.empty() && live();
       --writes_done_while_paused_) {
    finish_ready();
  }
  writes_done_while_paused_ = 0;
  for (; advances_due_while_paused_ > 0 && !durable_.empty() && live();
       --advances_due_while_paused_) {
    advance_oldest();
  }
  advances_due_while_paused_ = 0;
  pump();
}

void SimNode::release_advances() {
  if (!holding_advances_) return;
  holding_advances_ = false;
  if (paused_) {  // resume() advances them
    advances_due_while_paused_ = static_cast<int>(durable_.size());
    return;
  }
  while (!durable_.empty() && live()) advance_oldest();
  pump();
}

void SimNode::write(const raft::Ready& rd, size_t entries, bool hard_state) {
  if (rd.snapshot) disk_->write_snapshot(*rd.snapshot);
  if (entries > 0) {
    std::vector<raft::Entry> prefix(rd.entries.begin(),
                                    rd.entries.begin() + static_cast<long>(entries));
    disk_->write_entries(prefix);
    env_.on_persisted(id(), prefix, disk_->storage(), rd.snapshot ? &*rd.snapshot : nullptr);
  }
  if (hard_state && rd.hard_state) disk_->write_hard_state(*rd.hard_state);
}

// Steps 2-5 of the durability contract for the Ready in flight.
void SimNode::finish_ready() {
  raft::Ready rd = std::move(in_flight_.front());
  in_flight_.pop_front();
  write(rd, rd.entries.size(), true);
  if (!disk_->sync()) {
    // Nothing of this Ready is durable: send no acknowledgement, apply nothing, never
    // advance. The node stops as after a crash; recovery finds what really is on disk.
    // The writes queued behind it never start (the server's disk writer fails them too).
    in_flight_.clear();
    env_.on_disk_failure(id(), disk_->error());
    return;
  }
  for (const auto& m : rd.messages_after_persist) env_.send(m);
  durable_.push_back(std::move(rd));
  if (holding_advances_) return;  // release_advances() takes them, in order
  // Advanced later (lazy_advance) while the node goes on, or now together with every
  // earlier durable batch still waiting; either way in order. A pending later advance
  // then finds its batch already done and advances the next one early, which is fine.
  // (No draw when lazy_advance is off, so that older seeds replay their runs unchanged.)
  const bool lazy = latency_.lazy_advance > 0 && rng_.chance(latency_.lazy_advance);
  if (!lazy) {
    while (!durable_.empty() && live()) advance_oldest();
    return;
  }
  uint64_t incarnation = incarnation_;
  env_.schedule(rng_.uniform(1, latency_.max_advance_delay),
                [this, incarnation] { advance_done(incarnation); });
}

void SimNode::advance_done(uint64_t incarnation) {
  if (incarnation != incarnation_ || durable_.empty()) return;  // crashed meanwhile
  if (holding_advances_) return;  // release_advances() takes them, in order
  if (paused_) {
    ++advances_due_while_paused_;
    return;
  }
  advance_oldest();
  pump();
}

void SimNode::advance_oldest() {
  raft::Ready rd = std::move(durable_.front());
  durable_.pop_front();
  // A snapshot from the leader replaces the state machine before any later entry applies.
  if (rd.snapshot && !restore(*rd.snapshot, true)) return;
  for (const auto& e : rd.committed_entries) apply(e);
  for (const auto& rs : rd.read_states) serve(rs);
  node_->advance(rd);
  maybe_compact();
}

bool SimNode::restore(const raft::Snapshot& snapshot, bool installed) {
  KvMachine kv;
  if (!kv.restore(snapshot.data) || kv.applied() != snapshot.meta.index) {
    env_.on_recovery_failure(id(), "the snapshot image at index " +
                                       std::to_string(snapshot.meta.index) + " is unusable");
    return false;
  }
  kv_ = std::move(kv);
  if (installed) ++snapshots_installed_;
  env_.note("n" + std::to_string(id()) + (installed ? " installs" : " restores") +
            " the snapshot at " + std::to_string(snapshot.meta.index) + "/" +
            std::to_string(snapshot.meta.term));
  env_.on_snapshot_restored(id(), snapshot.meta, kv_.digest(), installed);
  // Proposals the snapshot covers never apply here; their clients time out and retry
  // (the dedup table makes that safe).
  pending_writes_.erase(pending_writes_.begin(), pending_writes_.upper_bound(snapshot.meta.index));
  return true;
}

void SimNode::maybe_compact() {
  if (compact_every_ == 0 || compaction_scheduled_) return;
  if (kv_.applied() < disk_->storage().first_index() - 1 + compact_every_) return;
  // An event of its own, as a server's background snapshot is, so that the safety monitor
  // first sees the commits of the entries it discards.
  compaction_scheduled_ = true;
  uint64_t incarnation = incarnation_;
  env_.schedule(0, [this, incarnation] { compact(incarnation); });
}

void SimNode::compact(uint64_t incarnation) {
  if (incarnation != incarnation_) return;  // crashed meanwhile
  compaction_scheduled_ = false;
  if (!live()) return;  // paused: the next applied batch tries again
  raft::Index index = kv_.applied();
  if (index < disk_->storage().first_index()) return;
  if (!disk_->compact(index, node_->conf_at(index), kv_.serialize())) {
    env_.on_disk_failure(id(), disk_->error());
    return;
  }
  ++compactions_;
  env_.note("n" + std::to_string(id()) + " compacts its log up to " + std::to_string(index));
}

void SimNode::apply(const raft::Entry& entry) {
  std::string result = kv_.apply(entry);
  env_.on_applied(id(), entry, kv_.digest());
  auto [lo, hi] = pending_writes_.equal_range(entry.index);
  for (auto it = lo; it != hi; ++it) {
    const ClientRequest& req = it->second.request;
    ClientReply r;
    r.client = req.command.client;
    r.op_id = req.op_id;
    r.attempt = req.attempt;
    if (it->second.term == entry.term) {
      r.kind = ClientReply::Kind::kOk;
      r.result = result;
    } else {
      r.kind = ClientReply::Kind::kLost;
      r.leader = node_->leader();
    }
    env_.reply(r);
  }
  pending_writes_.erase(lo, hi);
}

void SimNode::serve(const raft::ReadState& rs) {
  env_.on_read_served(id(), rs, kv_.applied());
  auto it = pending_reads_.find(rs.context);
  if (it == pending_reads_.end()) return;
  const ClientRequest& req = it->second;
  ClientReply r;
  r.client = req.command.client;
  r.op_id = req.op_id;
  r.attempt = req.attempt;
  r.kind = ClientReply::Kind::kOk;
  r.result = kv_.get(req.command.key);
  env_.reply(r);
  pending_reads_.erase(it);
}

void SimNode::crash() {
  if (!up()) return;
  // Only the oldest write can be under way; the later ones had not started.
  if (!in_flight_.empty() && disk_->models_torn_writes()) {
    // The disk's own crash() cuts this write at some file operation and tears it.
    env_.note("crash n" + std::to_string(id()) + " during its write");
    write(in_flight_.front(), in_flight_.front().entries.size(), true);
  } else if (!in_flight_.empty()) {
    const raft::Ready& rd = in_flight_.front();
    switch (rng_.uniform(0, 2)) {
      case 0:
        env_.note("crash n" + std::to_string(id()) + " before its write");
        break;
      case 1: {
        size_t n = rd.entries.empty() ? 0 : rng_.uniform(0, rd.entries.size());
        env_.note("crash n" + std::to_string(id()) + " mid-write: " + std::to_string(n) + "/" +
                  std::to_string(rd.entries.size()) + " entries, no hard state");
        write(rd, n, false);
        (void)disk_->sync();
        break;
      }
      default:
        env_.note("crash n" + std::to_string(id()) + " after its write, before the replies");
        write(rd, rd.entries.size(), true);
        (void)disk_->sync();
        break;
    }
  }
  disk_->crash(rng_);
  node_.reset();
  in_flight_.clear();
  durable_.clear();
  paused_ = false;
  holding_advances_ = false;
  slow_writes_ = false;
  writes_done_while_paused_ = 0;
  advances_due_while_paused_ = 0;
  pending_writes_.clear();
  pending_reads_.clear();
  compaction_scheduled_ = false;
  ++incarnation_;
}

void SimNode::restart(bool forget_vote) {
  if (up()) return;
  std::string error;
  if (!disk_->recover(&error)) {
    env_.on_recovery_failure(id(), error);
    return;
  }
  if (forget_vote) {
    raft::HardState hs = disk_->hard_state();
    hs.vote = raft::kNoNode;
    disk_->write_hard_state(hs);
    (void)disk_->sync();
  }
  raft::Config c = config_;
  c.applied = 0;  // the state machine is rebuilt by applying the committed log again
  c.random_seed = config_.random_seed + incarnation_ * 0x9E3779B97F4A7C15ULL;
  kv_ = KvMachine();
  env_.on_restart(id(), disk_->hard_state());
  // ...from the disk's snapshot, if it has one, and the log after it.
  raft::Snapshot snapshot = disk_->storage().snapshot();
  if (!snapshot.empty()) {
    if (!restore(snapshot, false)) return;
    c.applied = snapshot.meta.index;
  }
  node_ = raft::testing::NodeAccess::make_unique(c, &disk_->storage(), bugs_);
  pump();
}

}  // namespace raftkv::sim
