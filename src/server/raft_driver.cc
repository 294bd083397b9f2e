#include "server/raft_driver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

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

RaftDriver::RaftDriver(asio::io_context& io, Options options, raft::Storage* log,
                       std::unique_ptr<DiskWriter> disk, StateMachine* machine, SendFn send)
    : io_(io),
      options_(std::move(options)),
      log_(log),
      node_(std::make_unique<raft::Node>(options_.raft, log_)),
      disk_(std::move(disk)),
      machine_(machine),
      send_(std::move(send)),
      tick_timer_(io),
      submitted_hard_state_(log->initial_state().hard_state) {}

RaftDriver::~RaftDriver() = default;

void RaftDriver::start() {
  next_expiry_check_ = std::chrono::steady_clock::now();
  schedule_tick();
  schedule_process();
}

void RaftDriver::stop() {
  stopped_ = true;
  tick_timer_.cancel();
  fail_everything(RequestError::kUnknown);
}

void RaftDriver::schedule_tick() {
  tick_timer_.expires_after(options_.tick);
  tick_timer_.async_wait([this](const asio::error_code& ec) {
    if (ec || stopped_) return;
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

void RaftDriver::propose(std::string data, WriteDone done) {
  if (auto err = unavailable()) {
    done(err, {});
    return;
  }
  track_proposal(node_->propose(std::move(data)), std::move(done));
}

void RaftDriver::propose_conf_change(const raft::ConfState& target, std::string context,
                                     WriteDone done) {
  if (auto err = unavailable()) {
    done(err, {});
    return;
  }
  track_proposal(node_->propose_conf_change(target, std::move(context)), std::move(done));
}

void RaftDriver::track_proposal(raft::Node::ProposeResult r, WriteDone done) {
  if (!r.proposed) {
    done(from_propose_error(r.error.value_or(raft::ProposeError::kNotLeader)), {});
    return;
  }
  pending_writes_[r.proposed->index] =
      PendingWrite{r.proposed->term, std::move(done),
                   std::chrono::steady_clock::now() + options_.request_timeout};
  schedule_process();
}

std::optional<RequestError> RaftDriver::transfer_leadership(raft::NodeId target) {
  if (auto err = unavailable()) return err;
  if (auto e = node_->transfer_leadership(target)) return from_propose_error(*e);
  schedule_process();
  return std::nullopt;
}

uint64_t RaftDriver::pending_reads() const {
  uint64_t n = read_batch_.size();
  for (const auto& [id, batch] : pending_reads_) n += batch.ready.size();
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

void RaftDriver::read(ReadReady ready) {
  if (auto err = unavailable()) {
    ready(err);
    return;
  }
  // One ReadIndex round confirms any number of reads, so all reads of this turn share
  // one request (and one entry in the core's queue) instead of one each.
  read_batch_.push_back(std::move(ready));
  schedule_process();
}

void RaftDriver::submit_read_batch() {
  if (read_batch_.empty()) return;
  std::vector<ReadReady> batch = std::move(read_batch_);
  read_batch_.clear();
  uint64_t id = next_read_id_++;
  std::string ctx(reinterpret_cast<const char*>(&id), sizeof id);
  if (node_->read_index(std::move(ctx))) {
    for (auto& ready : batch) ready(RequestError::kNoLeader);
    return;
  }
  pending_reads_[id] = PendingReadBatch{
      std::move(batch), std::chrono::steady_clock::now() + options_.request_timeout};
}

void RaftDriver::schedule_process() {
  if (process_scheduled_ || stopped_) return;
  process_scheduled_ = true;
  asio::post(io_, [this] {
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
  while (!stopped_ && !failed_ && batches_in_flight_ < kMaxBatchesInFlight &&
         !snapshot_in_flight_ && node_->has_ready()) {
    take_ready();
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
  DiskWriter::Done done = [this, rd, applied_early](bool ok, std::string error) {
    asio::post(io_, [this, rd, ok, applied_early, error = std::move(error)] {
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
  if (rd.snapshot && !rd.snapshot->empty()) {
    // The leader's snapshot replaced the log: the state machine must jump to it before the
    // entries after it are applied.
    if (std::string err = machine_->restore(*rd.snapshot); !err.empty()) {
      fail_storage("cannot restore the installed snapshot: " + err);
      return false;
    }
    const raft::Index index = rd.snapshot->meta.index;
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
  for (const raft::ReadState& rs : rd.read_states) {
    uint64_t id = 0;
    if (rs.context.size() != sizeof id) continue;
    std::memcpy(&id, rs.context.data(), sizeof id);
    auto it = pending_reads_.find(id);
    if (it == pending_reads_.end()) continue;
    auto batch = std::move(it->second.ready);
    pending_reads_.erase(it);
    for (auto& ready : batch) ready(std::nullopt);
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

void RaftDriver::run_on_disk(DiskWriter::Job job,
                             std::function<void(std::optional<std::string>)> done) {
  disk_->submit_job(std::move(job), [this, done = std::move(done)](bool ok, std::string error) {
    asio::post(io_, [this, ok, error = std::move(error), done] {
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
  auto now = std::chrono::steady_clock::now();
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
      auto batch = std::move(it->second.ready);
      it = pending_reads_.erase(it);
      for (auto& ready : batch) ready(RequestError::kTimeout);
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
  const RequestError read_error = why == RequestError::kStorage ? why : RequestError::kTimeout;
  for (auto& [_, batch] : reads) {
    for (auto& ready : batch.ready) ready(read_error);
  }
  for (auto& ready : unsubmitted) ready(read_error);
}

}  // namespace raftkv::server
