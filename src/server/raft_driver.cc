#include "server/raft_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "server/batch_clock.h"

namespace raftkv::server {

const char* to_string(RequestError e) {
  switch (e) {
    case RequestError::kNotLeader:
      return "not leader";
    case RequestError::kNoLeader:
      return "no leader";
    case RequestError::kLost:
      return "lost in a leader change";
    case RequestError::kUnknown:
      return "outcome unknown";
    case RequestError::kTimeout:
      return "timed out";
    case RequestError::kBusy:
      return "membership change or leadership transfer in progress";
    case RequestError::kInvalid:
      return "invalid configuration";
    case RequestError::kStorage:
      return "storage failure";
  }
  return "?";
}

RaftDriver::RaftDriver(Runtime& runtime, Options options, raft::Storage* log,
                       std::unique_ptr<DiskQueue> disk, StateMachine* machine, SendFn send)
    : rt_(runtime),
      options_(std::move(options)),
      log_(log),
      node_(std::make_unique<raft::Node>(options_.raft, log_)),
      disk_(std::move(disk)),
      machine_(machine),
      send_(std::move(send)),
      submitted_hard_state_(log->initial_state().hard_state),
      applied_index_(options_.raft.applied) {}

RaftDriver::~RaftDriver() = default;

void RaftDriver::post(std::function<void()> fn) {
  rt_.post([alive = life_.watch(), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

void RaftDriver::start() {
  next_expiry_check_ = rt_.now();
  schedule_tick();
  schedule_process();
}

void RaftDriver::stop() {
  stopped_ = true;
  fail_everything(RequestError::kUnknown);
}

void RaftDriver::schedule_tick() {
  rt_.after(options_.tick, [this, alive = life_.watch()] {
    if (alive.expired() || stopped_) return;
    on_tick();
    schedule_tick();
  });
}

void RaftDriver::on_tick() {
  node_->tick();
  expire_requests();
  schedule_process();
}

void RaftDriver::step(const raft::Message& m) {
  if (stopped_ || failed_) return;
  node_->step(m);
  schedule_process();
}

std::optional<RequestError> RaftDriver::unavailable() const {
  if (failed_) return RequestError::kStorage;
  if (node_->role() == raft::Role::kLeader) return std::nullopt;
  return node_->leader() == raft::kNoNode ? RequestError::kNoLeader : RequestError::kNotLeader;
}

std::optional<raft::Index> RaftDriver::propose(std::string data, WriteDone done) {
  if (auto err = unavailable()) {
    done(err, {});
    return std::nullopt;
  }
  raft::Result<raft::Proposed, raft::ProposeError> r = node_->propose(std::move(data));
  std::optional<raft::Index> index;
  if (r) index = r->index;
  track_proposal(std::move(r), std::move(done));
  return index;
}

void RaftDriver::propose_conf_change(const raft::ConfState& target, std::string context,
                                     WriteDone done) {
  if (auto err = unavailable()) {
    done(err, {});
    return;
  }
  track_proposal(node_->propose_conf_change(target, std::move(context)), std::move(done));
}

void RaftDriver::track_proposal(raft::Result<raft::Proposed, raft::ProposeError> r,
                                WriteDone done) {
  if (!r) {
    done(from_propose_error(r.error()), {});
    return;
  }
  PendingWrite w{r->term, std::move(done), rt_.now() + options_.request_timeout};
  auto [it, inserted] = pending_writes_.try_emplace(r->index, std::move(w));
  if (!inserted) {
    // An earlier write was proposed at this index in an older term, and a snapshot since
    // replaced the log below it: its fate is not known here, but its client must hear.
    // (Assigning over it would leave that client waiting for a reply forever.)
    auto old = std::move(it->second.done);
    it->second = std::move(w);
    old(RequestError::kUnknown, {});
  }
  schedule_process();
}

std::optional<RequestError> RaftDriver::transfer_leadership(raft::NodeId target) {
  if (auto err = unavailable()) return err;
  if (auto r = node_->transfer_leadership(target); !r) return from_propose_error(r.error());
  schedule_process();
  return std::nullopt;
}

uint64_t RaftDriver::pending_reads() const {
  uint64_t n = read_batch_.size() + waiting_reads_.size();
  for (const auto& [id, batch] : pending_reads_) n += batch.reads.size();
  return n;
}

void RaftDriver::report_unreachable(raft::NodeId id) {
  if (stopped_ || failed_) return;
  node_->report_unreachable(id);
}

RequestError RaftDriver::from_propose_error(raft::ProposeError e) {
  switch (e) {
    case raft::ProposeError::kNotLeader:
      return RequestError::kNotLeader;
    case raft::ProposeError::kTransferring:
    case raft::ProposeError::kConfChangePending:
      return RequestError::kBusy;
    case raft::ProposeError::kInvalidConf:
      return RequestError::kInvalid;
  }
  return RequestError::kNotLeader;
}

void RaftDriver::read(ReadReady ready, raft::Index min_applied) {
  if (auto err = unavailable()) {
    ready(err);
    return;
  }
  // One ReadIndex round confirms any number of reads, so all reads of this turn share
  // one request (and one entry in the core's queue) instead of one each.
  read_batch_.push_back(PendingRead{std::move(ready), min_applied});
  schedule_process();
}

namespace {
// A ReadIndex context: the process's boot nonce, then the batch id.
std::string read_context(uint64_t nonce, uint64_t id) {
  std::string ctx(2 * sizeof(uint64_t), '\0');
  std::memcpy(ctx.data(), &nonce, sizeof nonce);
  std::memcpy(ctx.data() + sizeof nonce, &id, sizeof id);
  return ctx;
}
}  // namespace

void RaftDriver::submit_read_batch() {
  if (read_batch_.empty()) return;
  std::vector<PendingRead> batch = std::move(read_batch_);
  read_batch_.clear();
  uint64_t id = next_read_id_++;
  if (!node_->read_index(read_context(options_.boot_nonce, id))) {
    for (auto& read : batch) read.ready(RequestError::kNoLeader);
    return;
  }
  pending_reads_[id] = PendingReadBatch{std::move(batch), rt_.now() + options_.request_timeout};
}

void RaftDriver::release_read(PendingRead read, Runtime::Clock::time_point deadline) {
  if (read.min_applied <= applied_index_) {
    read.ready(std::nullopt);
    return;
  }
  // Confirmed, but the connection's own earlier write is not applied yet: reading now
  // would answer from before it (the connection would not see its own write).
  waiting_reads_.emplace(read.min_applied, WaitingRead{std::move(read.ready), deadline});
}

void RaftDriver::release_waiting_reads() {
  while (!waiting_reads_.empty() && waiting_reads_.begin()->first <= applied_index_) {
    ReadReady ready = std::move(waiting_reads_.begin()->second.ready);
    waiting_reads_.erase(waiting_reads_.begin());
    ready(std::nullopt);
  }
}

void RaftDriver::schedule_process() {
  if (process_scheduled_ || stopped_) return;
  process_scheduled_ = true;
  post([this] {
    process_scheduled_ = false;
    process();
  });
}

void RaftDriver::process() {
  if (stopped_ || failed_) return;
  submit_read_batch();
  // Messages that depend on nothing unpersisted leave at once, even mid-batch.
  if (auto msgs = node_->take_messages(); !msgs.empty()) send_(std::move(msgs));
  // Several batches may be on their way to disk (the disk thread writes them in order):
  // the next one is formed and queued while the previous fsync runs, instead of after
  // its completion has come back through the event loop. A snapshot batch is finished
  // first, because later committed entries apply on top of it.
  const uint64_t applied_before = applied_bytes_;
  while (!stopped_ && !failed_ && batches_in_flight_ < kMaxBatchesInFlight &&
         !snapshot_in_flight_ && node_->has_ready()) {
    take_ready();
    if (applied_bytes_ - applied_before >= kMaxApplyBytesPerTurn) {
      schedule_process();  // the rest on a later turn, after what is waiting
      return;
    }
  }
}

void RaftDriver::take_ready() {
  auto rd = std::make_shared<raft::Ready>(node_->ready());
  if (!rd->messages.empty()) send_(std::move(rd->messages));
  // The commit index alone needs no fsync: losing it in a crash is harmless (Raft treats
  // it as volatile and re-learns it from the leader), so it is written with the next batch
  // that has to be made durable anyway.
  bool vote_changed = rd->hard_state && (rd->hard_state->term != submitted_hard_state_.term ||
                                         rd->hard_state->vote != submitted_hard_state_.vote);
  if (rd->hard_state) submitted_hard_state_ = *rd->hard_state;
  bool needs_disk = vote_changed || !rd->entries.empty() || rd->snapshot;
  // Committed entries are already durable locally (the core hands out only those), so they
  // are applied and their clients answered now, while this batch's new entries go to disk.
  bool applied_early = !rd->snapshot;
  if (applied_early && !apply_ready(*rd)) return;
  if (!needs_disk && batches_in_flight_ == 0) {
    on_persisted(rd, true, {}, applied_early);
    return;
  }
  for (const raft::Entry& e : rd->entries) {
    if (e.type == raft::EntryType::kConfChange) machine_->on_conf_entry_appended(e);
  }
  ++batches_in_flight_;
  if (rd->snapshot) snapshot_in_flight_ = true;
  DiskQueue::Done done = [this, rd, applied_early](bool ok, std::string error) {
    post([this, rd, ok, applied_early, error = std::move(error)] {
      --batches_in_flight_;
      if (rd->snapshot) snapshot_in_flight_ = false;
      on_persisted(rd, ok, error, applied_early);
    });
  };
  if (!needs_disk) {
    // Nothing to write, but its acknowledgements must not overtake the batches before it:
    // an empty batch in the same queue (merged into its neighbours' save, no fsync alone).
    disk_->submit(std::make_shared<PersistBatch>(), std::move(done));
    return;
  }
  ++persisted_batches_;
  persisted_entries_ += rd->entries.size();
  auto batch = std::make_shared<PersistBatch>();
  batch->hard_state = rd->hard_state;
  batch->snapshot = rd->snapshot;
  // The entries move to the disk (and on into the storage's mirror of the log) instead of
  // being copied: advance() reads only the last one's index and term, kept here.
  batch->entries = std::move(rd->entries);
  if (!batch->entries.empty()) {
    const raft::Entry& last = batch->entries.back();
    rd->entries.assign(1, raft::Entry{last.term, last.index, last.type, {}});
  }
  disk_->submit(batch, std::move(done));
}

void RaftDriver::on_persisted(std::shared_ptr<raft::Ready> rd, bool ok, const std::string& error,
                              bool applied_early) {
  if (stopped_) return;
  if (!ok) {
    // Nothing in this batch (or any later one) may be acknowledged.
    if (!failed_) fail_storage(error);
    return;
  }
  if (failed_) return;
  if (!rd->messages_after_persist.empty()) send_(std::move(rd->messages_after_persist));
  if (!applied_early && !apply_ready(*rd)) return;
  node_->advance(*rd);
  schedule_process();
}

bool RaftDriver::apply_ready(const raft::Ready& rd) {
  const BatchClock::Scope one_clock_read;  // for the replies this completes
  if (rd.snapshot && !rd.snapshot->empty()) {
    // The leader's snapshot replaced the log: the state machine must jump to it before the
    // entries after it are applied.
    if (std::string err = machine_->restore(*rd.snapshot); !err.empty()) {
      fail_storage("cannot restore the installed snapshot: " + err);
      return false;
    }
    const raft::Index index = rd.snapshot->meta.index;
    applied_index_ = std::max(applied_index_, index);
    while (!pending_writes_.empty() && pending_writes_.begin()->first <= index) {
      auto done = std::move(pending_writes_.begin()->second.done);
      pending_writes_.erase(pending_writes_.begin());
      done(RequestError::kUnknown, {});  // its outcome is inside the snapshot, unseen
    }
  }

  const std::span<const raft::Entry> committed(rd.committed_entries);
  for (size_t i = 0; i < committed.size(); ++i) {
    if (i % StateMachine::kPrefetchBatch == 0) {
      machine_->prefetch(
          committed.subspan(i, std::min(StateMachine::kPrefetchBatch, committed.size() - i)));
    }
    const raft::Entry& e = committed[i];
    std::string reply = machine_->apply(e);
    applied_index_ = e.index;
    applied_bytes_ += e.data.size();
    auto it = pending_writes_.find(e.index);
    if (it == pending_writes_.end()) continue;
    PendingWrite w = std::move(it->second);
    pending_writes_.erase(it);
    if (w.term == e.term) {
      w.done(std::nullopt, reply);
    } else {
      w.done(RequestError::kLost, {});  // another entry took this index: ours never will
    }
  }
  release_waiting_reads();
  for (const raft::ReadState& rs : rd.read_states) {
    uint64_t nonce = 0, id = 0;
    if (rs.context.size() != sizeof nonce + sizeof id) continue;
    std::memcpy(&nonce, rs.context.data(), sizeof nonce);
    std::memcpy(&id, rs.context.data() + sizeof nonce, sizeof id);
    if (nonce != options_.boot_nonce) continue;  // asked by an earlier process
    auto it = pending_reads_.find(id);
    if (it == pending_reads_.end()) continue;
    PendingReadBatch batch = std::move(it->second);
    pending_reads_.erase(it);
    for (auto& read : batch.reads) release_read(std::move(read), batch.deadline);
  }
  return true;
}

void RaftDriver::fail_storage(const std::string& error) {
  // A node that cannot write cannot take part safely: stop stepping the core (a leader
  // thereby stops heartbeating and is replaced).
  spdlog::critical("storage failed, this node stops serving: {}", error);
  failed_ = true;
  fail_everything(RequestError::kStorage);
}

void RaftDriver::run_on_disk(DiskQueue::Job job,
                             std::function<void(std::optional<std::string>)> done) {
  disk_->submit_job(std::move(job), [this, done = std::move(done)](bool ok, std::string error) {
    post([this, ok, error = std::move(error), done] {
      if (stopped_) return;
      if (!ok) {
        fail_storage(error);
        done(error);
        return;
      }
      done(std::nullopt);
    });
  });
}

void RaftDriver::expire_requests() {
  auto now = rt_.now();
  if (now < next_expiry_check_) return;
  next_expiry_check_ = now + std::chrono::milliseconds(100);
  for (auto it = pending_writes_.begin(); it != pending_writes_.end();) {
    if (it->second.deadline <= now) {
      auto done = std::move(it->second.done);
      it = pending_writes_.erase(it);
      done(RequestError::kUnknown, {});
    } else {
      ++it;
    }
  }
  for (auto it = pending_reads_.begin(); it != pending_reads_.end();) {
    if (it->second.deadline <= now) {
      auto batch = std::move(it->second.reads);
      it = pending_reads_.erase(it);
      for (auto& read : batch) read.ready(RequestError::kTimeout);
    } else {
      ++it;
    }
  }
  for (auto it = waiting_reads_.begin(); it != waiting_reads_.end();) {
    if (it->second.deadline <= now) {
      auto ready = std::move(it->second.ready);
      it = waiting_reads_.erase(it);
      ready(RequestError::kTimeout);
    } else {
      ++it;
    }
  }
}

void RaftDriver::fail_everything(RequestError why) {
  auto writes = std::move(pending_writes_);
  pending_writes_.clear();
  for (auto& [_, w] : writes)
    w.done(why == RequestError::kStorage ? why : RequestError::kUnknown, {});
  auto reads = std::move(pending_reads_);
  pending_reads_.clear();
  auto unsubmitted = std::move(read_batch_);
  read_batch_.clear();
  auto waiting = std::move(waiting_reads_);
  waiting_reads_.clear();
  const RequestError read_error = why == RequestError::kStorage ? why : RequestError::kTimeout;
  for (auto& [_, batch] : reads) {
    for (auto& read : batch.reads) read.ready(read_error);
  }
  for (auto& read : unsubmitted) read.ready(read_error);
  for (auto& [_, w] : waiting) w.ready(read_error);
}

}  // namespace raftkv::server
