// RaftDriver runs one Raft node inside the server's event loop (one io_context thread):
// it ticks the core on a timer, feeds it peer messages, proposals and read requests, and
// carries out each Ready batch in the order the durability contract demands
// (src/raft/node.h):
//
//   io thread:   take Ready -> send `messages` -> apply committed entries (already
//                durable locally) -> hand the persistence work to the disk
//   disk thread: write + fsync (one fsync for the whole batch: group commit)
//   io thread:   send `messages_after_persist` -> answer reads -> advance
//
// Up to kMaxBatchesInFlight batches are queued to the disk thread at once, written in
// order: the next batch is ready to write the moment an fsync ends. While batches are on
// disk the core keeps stepping messages and heartbeats keep flowing (Node::take_messages),
// and every proposal that arrives meanwhile joins the next batch.
//
// The core reads its stable log from the Storage the disk thread writes to; that storage
// must allow reads concurrent with one writer, and show entries only once durable
// (storage::DurableStorage and, single-threaded, raft::MemoryStorage do).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "raft/node.h"
#include "server/disk_writer.h"
#include "server/runtime.h"

namespace raftkv::server {

// Why a request was not served. kNotLeader and kNoLeader mean "not executed".
enum class RequestError {
  kNotLeader,  // another node leads: redirect
  kNoLeader,   // no leader known right now
  kLost,       // the write's entry was overwritten by a new leader: not executed
  kUnknown,    // the write may or may not be applied (leadership lost, timed out)
  kTimeout,    // a read that could not be confirmed in time: not executed
  kStorage,    // the node's disk failed: it stopped accepting work
  kBusy,       // a membership change or leadership transfer is under way: not executed
  kInvalid,    // the requested configuration is not acceptable: not executed
};
const char* to_string(RequestError e);

// What the driver applies committed entries to.
class StateMachine {
 public:
  static constexpr size_t kPrefetchBatch = 32;
  virtual ~StateMachine() = default;
  // Applies a committed entry (index order, each exactly once per process lifetime) and
  // returns the reply for the client that proposed it.
  virtual std::string apply(const raft::Entry& entry) = 0;
  // A hint that these entries are applied next, in order (up to kPrefetchBatch at a time):
  // the application may start loading what they will touch.
  virtual void prefetch(std::span<const raft::Entry> /*entries*/) {}
  // Replaces the whole state with a snapshot installed from the leader (already durable),
  // before any entry after it is applied. Returns why the image is unusable, or empty.
  virtual std::string restore(const raft::Snapshot& snapshot) = 0;
  // A configuration entry was appended to the local log (it takes effect now, before it
  // commits): the application may need to reach the members it names.
  virtual void on_conf_entry_appended(const raft::Entry& /*entry*/) {}
};

class RaftDriver {
 public:
  struct Options {
    raft::Config raft;
    std::chrono::milliseconds tick{10};
    std::chrono::milliseconds request_timeout{5000};
    // Different in every process (a random number): ReadIndex contexts start with it, so
    // that an answer to a read this node forwarded before a restart never releases a
    // read of the new process.
    uint64_t boot_nonce = 0;
  };
  using SendFn = std::function<void(std::vector<raft::Message>)>;
  using WriteDone = std::function<void(std::optional<RequestError>, const std::string& reply)>;
  using ReadReady = std::function<void(std::optional<RequestError>)>;

  // `log` holds the recovered log and hard state and must outlive the driver; `disk`
  // persists batches into it.
  RaftDriver(Runtime& runtime, Options options, raft::Storage* log, std::unique_ptr<DiskQueue> disk,
             StateMachine* machine, SendFn send);
  ~RaftDriver();
  RaftDriver(const RaftDriver&) = delete;
  RaftDriver& operator=(const RaftDriver&) = delete;

  void start();
  void stop();

  // All of the below must be called on the io thread.
  void step(const raft::Message& m);
  // Proposes `data`; `done` runs once the entry is applied (with its reply) or failed.
  // Returns the log index the entry was proposed at (nothing if refused).
  std::optional<raft::Index> propose(std::string data, WriteDone done);
  // Asks for a linearizable read point; `ready` runs when reading local state is safe and
  // the state machine has applied at least `min_applied` (a connection's own earlier
  // writes, which its later reads must see).
  void read(ReadReady ready, raft::Index min_applied = 0);
  // Membership change toward `target` (see raft::Node::propose_conf_change); `done` runs
  // when the proposed entry is applied.
  void propose_conf_change(const raft::ConfState& target, std::string context, WriteDone done);
  std::optional<RequestError> transfer_leadership(raft::NodeId target);
  void report_unreachable(raft::NodeId id);

  // Runs `job` on the disk thread, in order with the log writes (e.g. compaction); `done`
  // runs on the io thread with its error. An error means the storage failed: the node stops.
  void run_on_disk(DiskQueue::Job job, std::function<void(std::optional<std::string>)> done);

  // Why this node cannot take reads or writes now (not leader, no leader, failed disk).
  std::optional<RequestError> unavailable() const;

  raft::Status status() const { return node_->status(); }
  // Index of the last entry applied to the state machine (or restored from a snapshot).
  raft::Index applied_index() const { return applied_index_; }
  raft::NodeId leader() const { return node_->leader(); }
  bool is_leader() const { return node_->role() == raft::Role::kLeader; }
  bool failed() const { return failed_; }
  uint64_t pending_writes() const { return pending_writes_.size(); }
  uint64_t pending_reads() const;  // for INFO: counted when asked
  // Batches handed to the disk that needed an fsync, and the entries they carried.
  uint64_t persisted_batches() const { return persisted_batches_; }
  uint64_t persisted_entries() const { return persisted_entries_; }
  // Writes the disk thread made for them: batches queued together share one (one fsync).
  uint64_t disk_saves() const { return disk_->saves(); }
  // ReadIndex requests handed to the core; each serves every read of one event-loop turn.
  uint64_t read_index_requests() const { return next_read_id_ - 1; }
  const raft::Node& node() const { return *node_; }

 private:
  struct PendingWrite {
    raft::Term term;
    WriteDone done;
    Runtime::Clock::time_point deadline;
  };
  struct PendingRead {
    ReadReady ready;
    raft::Index min_applied = 0;
  };
  // Reads that share one ReadIndex request: all that arrived in one event-loop turn.
  struct PendingReadBatch {
    std::vector<PendingRead> reads;
    Runtime::Clock::time_point deadline;
  };
  // A confirmed read still waiting for its connection's earlier write to be applied.
  struct WaitingRead {
    ReadReady ready;
    Runtime::Clock::time_point deadline;
  };

  void track_proposal(raft::Result<raft::Proposed, raft::ProposeError> r, WriteDone done);
  static RequestError from_propose_error(raft::ProposeError e);
  void schedule_tick();
  void on_tick();
  void schedule_process();
  void process();
  // Takes one Ready and starts its work (see the class comment).
  void take_ready();
  // Hands the reads gathered this turn to the core as one ReadIndex request.
  void submit_read_batch();
  // Releases a confirmed read now, or once the state machine has reached its floor.
  void release_read(PendingRead read, Runtime::Clock::time_point deadline);
  void release_waiting_reads();
  // Runs `fn` on the event loop if this driver still exists then.
  void post(std::function<void()> fn);
  void on_persisted(std::shared_ptr<raft::Ready> rd, bool ok, const std::string& error,
                    bool applied_early);
  // Restores an installed snapshot, applies committed entries (answering their clients)
  // and answers reads that became safe. False if the node failed doing so.
  bool apply_ready(const raft::Ready& rd);
  void expire_requests();
  void fail_everything(RequestError why);
  void fail_storage(const std::string& error);

  Runtime& rt_;
  Options options_;
  raft::Storage* log_;
  std::unique_ptr<raft::Node> node_;
  std::unique_ptr<DiskQueue> disk_;
  StateMachine* machine_;
  SendFn send_;
  Liveness life_;
  raft::HardState submitted_hard_state_;  // term and vote as last handed to the disk
  bool process_scheduled_ = false;
  static constexpr int kMaxBatchesInFlight = 4;
  // A long catch-up (the replay after a restart, a follower far behind) is applied about
  // this many entry bytes per turn of the event loop, so that clients, heartbeats and
  // timers are served in between (Redis, too, serves events every 2 MB it loads).
  static constexpr uint64_t kMaxApplyBytesPerTurn = 1 << 20;
  uint64_t applied_bytes_ = 0;  // entry bytes applied since start
  int batches_in_flight_ = 0;   // Ready batches queued to or being written by the disk thread
  bool snapshot_in_flight_ = false;
  bool stopped_ = false;
  bool failed_ = false;

  std::map<raft::Index, PendingWrite> pending_writes_;
  std::map<uint64_t, PendingReadBatch> pending_reads_;     // by ReadIndex context id
  std::vector<PendingRead> read_batch_;                    // not yet handed to the core
  std::multimap<raft::Index, WaitingRead> waiting_reads_;  // by the applied index they need
  uint64_t next_read_id_ = 1;
  raft::Index applied_index_ = 0;
  uint64_t persisted_batches_ = 0;
  uint64_t persisted_entries_ = 0;
  Runtime::Clock::time_point next_expiry_check_;
};

}  // namespace raftkv::server
