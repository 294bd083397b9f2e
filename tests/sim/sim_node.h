// One simulated server: a raft::Node, its disk, and the key-value state machine it feeds,
// driven the way a real server must drive the core (see the durability contract in
// raft/node.h). A Ready's writes take simulated time, so a crash can land between sending
// its `messages` and the write reaching the disk, or part-way through the write; whatever
// had not reached the disk is lost and the restarted node rebuilds from what had.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "raft/node.h"
#include "raft/testing.h"
#include "sim/client_protocol.h"
#include "sim/kv_machine.h"
#include "sim/node_disk.h"
#include "sim/rng.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

// What a node needs from the world around it (the Simulator implements this).
class NodeEnv {
 public:
  virtual ~NodeEnv() = default;
  virtual Time now() const = 0;
  virtual void schedule(Time delay, std::function<void()> action) = 0;
  virtual void send(const raft::Message& m) = 0;
  virtual void reply(const ClientReply& r) = 0;
  virtual void note(std::string text) = 0;
  // Observation hooks for the safety monitor.
  // `snapshot`: one written in the same batch (a disk may hold it back until the sync, so
  // the storage cannot tell the term before the first entry yet).
  virtual void on_persisted(raft::NodeId id, const std::vector<raft::Entry>& entries,
                            const raft::Storage& storage, const raft::Snapshot* snapshot) = 0;
  virtual void on_applied(raft::NodeId id, const raft::Entry& entry, uint64_t digest) = 0;
  virtual void on_read_served(raft::NodeId id, const raft::ReadState& rs, raft::Index applied) = 0;
  virtual void on_restart(raft::NodeId id, const raft::HardState& persisted) = 0;
  // The state machine was replaced by a snapshot's image: one installed from the leader
  // (`installed`), or the disk's own at a restart. `digest` is the restored state's.
  virtual void on_snapshot_restored(raft::NodeId id, const raft::SnapshotMeta& meta,
                                    uint64_t digest, bool installed) = 0;
  // The disk refused a write (full, failed fsync). The node has stopped without acting on
  // the Ready; the environment crashes it and restarts it later.
  virtual void on_disk_failure(raft::NodeId id, const std::string& error) = 0;
  // A restarting node's disk cannot be recovered, or recovered without something that had
  // been durable (an acknowledged write lost). The node stays down.
  virtual void on_recovery_failure(raft::NodeId id, const std::string& error) = 0;
};

struct DiskLatency {
  double instant = 0.5;  // probability a Ready's write completes at once
  Time max = 20;         // otherwise uniform in [1, max]
  // Ready batches a node may have on their way to disk at once (written in order), as the
  // server's RaftDriver does; 1 is the strict take-persist-advance cycle.
  int max_in_flight = 3;
  // Probability that a durable batch is acknowledged at once (its messages_after_persist
  // sent) but applied and advance()d only later, after up to `max_advance_delay`, while
  // the node keeps stepping and taking batches: a driver that acknowledges right after
  // the fsync, as the durability contract allows (node.h). 0 keeps advance() with the
  // acknowledgement.
  double lazy_advance = 0.0;
  Time max_advance_delay = 30;
};

class SimNode {
 public:
  SimNode(raft::Config config, std::unique_ptr<NodeDisk> disk, NodeEnv& env, Rng rng,
          DiskLatency latency, raft::testing::InjectedBugs bugs = {});

  raft::NodeId id() const { return config_.id; }
  bool up() const { return node_ != nullptr; }
  bool paused() const { return paused_; }
  // Running: up and not paused.
  bool live() const { return up() && !paused_; }
  const raft::Node* node() const { return node_.get(); }
  const KvMachine& kv() const { return kv_; }
  NodeDisk& disk() { return *disk_; }
  uint64_t incarnation() const { return incarnation_; }
  // Log compaction (0: never): once this many entries were applied since the disk's last
  // snapshot, the node snapshots its state machine and compacts its disk up to there.
  void set_compaction_interval(uint64_t entries) { compact_every_ = entries; }
  uint64_t compactions() const { return compactions_; }
  uint64_t snapshots_installed() const { return snapshots_installed_; }

  void tick();
  void receive(const raft::Message& m);
  void handle_request(const ClientRequest& req);
  // Admin requests, as an operator's tool sends them to the leader (nothing if accepted).
  std::optional<raft::ProposeError> propose_conf_change(const raft::ConfState& target,
                                                        std::string context);
  std::optional<raft::ProposeError> transfer_leadership(raft::NodeId target);

  // Power loss. Any Ready write in flight reaches the disk partly (nothing, a prefix of the
  // entries, or all of it), chosen at random; everything else in memory is gone.
  void crash();
  // A new process on the same disk. `forget_vote` is the injected bug "lose the vote".
  void restart(bool forget_vote);
  // A stalled process (GC pause, stopped VM): no ticks, no input, no disk completions.
  void pause() { paused_ = true; }
  // Batches written from now on are advanced as soon as they are durable.
  void end_lazy_advance() { latency_.lazy_advance = 0; }
  // A driver that acknowledges each batch right after its fsync but gets round to applying
  // and advancing only much later (node.h allows it): until release_advances(), durable
  // batches are acknowledged and kept, none is advanced, and new batches keep being taken
  // (only writes in flight count against max_in_flight). Release advances them in order.
  void hold_advances() { holding_advances_ = true; }
  void release_advances();
  // A slow disk: no write completes at once (each takes its drawn latency).
  void set_slow_writes(bool slow) { slow_writes_ = slow; }
  void resume();

 private:
  struct PendingWrite {
    ClientRequest request;
    raft::Term term = 0;
  };

  void pump();
  bool snapshot_in_flight() const;
  void persist_done(uint64_t incarnation);
  void finish_ready();
  // Applies and advances the oldest durable batch (steps 4-5 of the contract).
  void advance_oldest();
  void advance_done(uint64_t incarnation);
  // Hands the disk rd's snapshot, its first `entries` entries and (if `hard_state`) its
  // hard state; durable only after disk_->sync().
  void write(const raft::Ready& rd, size_t entries, bool hard_state);
  void apply(const raft::Entry& entry);
  // Replaces the state machine with a snapshot's image; false (reported) if unusable.
  bool restore(const raft::Snapshot& snapshot, bool installed);
  void maybe_compact();
  void compact(uint64_t incarnation);
  void serve(const raft::ReadState& rs);
  void refuse(const ClientRequest& req);

  raft::Config config_;
  raft::testing::InjectedBugs bugs_;
  std::unique_ptr<NodeDisk> disk_;
  NodeEnv& env_;
  Rng rng_;
  DiskLatency latency_;

  std::unique_ptr<raft::Node> node_;
  KvMachine kv_;
  uint64_t incarnation_ = 0;
  bool paused_ = false;
  bool holding_advances_ = false;
  bool slow_writes_ = false;
  std::deque<raft::Ready> in_flight_;  // handed out by ready(), being written, in order
  std::deque<raft::Ready> durable_;    // written and acknowledged, not yet advanced
  int writes_done_while_paused_ = 0;
  int advances_due_while_paused_ = 0;
  std::multimap<raft::Index, PendingWrite> pending_writes_;
  std::map<std::string, ClientRequest> pending_reads_;  // by read context
  uint64_t compact_every_ = 0;
  bool compaction_scheduled_ = false;
  uint64_t compactions_ = 0;
  uint64_t snapshots_installed_ = 0;
};

}  // namespace raftkv::sim
