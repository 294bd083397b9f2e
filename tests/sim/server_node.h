// One node of the whole-node simulation: the server's own RaftDriver (pipelined disk
// batches, apply-early, lazy commit), ClientService (connection order, read batching,
// redirects, log-time expiry) and kv::StateMachine (the Redis commands, TTLs) — the code
// that ships — on a SimRuntime (simulated clocks and event loop) and a SimDiskQueue.
//
// Storage: by default a MemoryStorage (a crash keeps what the disk queue completed, loses
// the rest). With `durable_disk`, the server's own: storage::DurableStorage (the segmented
// write-ahead log and hard state) written through server::DurableSink, on a
// storage::FaultFileSystem that a crash cuts in a mode drawn from the seed (unsynced data
// lost, or the last write torn), and a restart recovers it as the server does at start.
// Snapshots: taken every `snapshot_every` applied entries in the server's image format
// (the key space and the member directory), the log then compacted on the disk queue.
//
// Membership: the server's own MembershipService. Configuration and member entries apply
// through it, RAFT commands (BACKUP aside) reach it through the request path, a leader
// announces client addresses through it, and the node's network sends a Raft message only
// to a peer the service connected through PeerLinks and has not removed: a node it never
// connected, or pruned, is unreachable, as with the server's transport. Every node has
// fake but valid addresses (sim_peer_address, sim_client_address), which -MOVED and RAFT
// MEMBERS name. A peer's first message stands for its connection's handshake (the client
// address it advertises).
//
// Left out: the rest of raftkv::server::Server (INFO, RAFT BACKUP, the idle expiry ticks,
// how a snapshot is written by a child process and sent in chunks).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "kv/state_machine.h"
#include "raft/storage.h"
#include "server/client_service.h"
#include "server/durable_sink.h"
#include "server/membership_service.h"
#include "server/raft_driver.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/sim_disk_queue.h"
#include "sim/sim_runtime.h"
#include "storage/durable_storage.h"
#include "storage/fault_file_system.h"

namespace raftkv::sim {

struct ServerNodeConfig {
  int election_tick = 10;
  std::chrono::milliseconds tick{10};  // kTick units of simulated time
  std::chrono::milliseconds request_timeout{1000};
  SimDiskConfig disk;
  bool durable_disk = false;
  bool skip_fsync = false;  // injected bug (durable_disk): sync() makes nothing durable
  // Entries a node applies between two of its snapshots (0: it never takes one). A snapshot
  // compacts the log, so lagging followers are sent it (InstallSnapshot) and restarts
  // begin from it, as in the server.
  uint64_t snapshot_every = 0;
  server::ClientService::InjectedBugs bugs;
  server::MembershipService::InjectedBugs membership_bugs;
  // The peers a node dials when it starts, as `--initial-cluster` or `--join` give them.
  std::map<raft::NodeId, net::PeerAddress> initial_peers;
  raft::Index promote_max_lag = 32;  // RAFT PROMOTE refuses a learner further behind
};

// Every simulated node has fake but valid addresses: peers 10.0.0.<id>:7000, clients
// 10.0.0.<id>:6379 (what -MOVED and RAFT MEMBERS name).
net::PeerAddress sim_peer_address(raft::NodeId id);
std::string sim_client_address(raft::NodeId id);
// The node a client address names (kNoNode if it names none).
raft::NodeId sim_node_at(std::string_view client_address);

class ServerNode {
 public:
  struct Env {
    std::function<void(raft::Message)> send;
    std::function<void(raft::NodeId, const raft::Entry&, const kv::StateMachine&)> applied;
    // A reply, in the connection's order; `op` is what the client sent it as.
    std::function<void(uint64_t conn, uint64_t op, std::string reply)> reply;
  };

  ServerNode(raft::NodeId id, const raft::ConfState& conf, EventQueue& queue, Rng rng,
             ServerNodeConfig config, Env env);
  ~ServerNode();

  raft::NodeId id() const { return id_; }
  bool up() const { return driver_ != nullptr; }
  bool live() const { return up() && !runtime_.paused(); }
  const server::RaftDriver* driver() const { return driver_.get(); }
  const kv::StateMachine* machine() const { return machine_.get(); }
  const server::MembershipService* membership() const { return membership_.get(); }
  // Whether this node's transport dials `peer` (the membership service connected it).
  bool dials(raft::NodeId peer) const { return links_.dials(peer); }
  // Empty, or why recovery of the durable log failed at the last restart (the node then
  // stays down).
  const std::string& recovery_error() const { return recovery_error_; }
  SimRuntime& runtime() { return runtime_; }
  uint64_t snapshots_taken() const { return snapshots_taken_; }
  uint64_t snapshots_installed() const { return snapshots_installed_; }

  // A message from the network, handled as one event of this node.
  void deliver(raft::Message m);
  // Command `op` of client connection `conn` arrives (connections are opened on first use).
  // Nothing happens if the node is down: the client times out.
  void request(uint64_t conn, uint64_t op, kv::Argv argv);

  void crash();
  void restart();
  // An operator's fresh start of a removed node: its data is wiped, and it starts again as
  // a joining node (no configuration, `raftkv serve --join`) that dials `peers`.
  void rejoin(std::map<raft::NodeId, net::PeerAddress> peers);
  void pause() { runtime_.pause(); }
  void resume() { runtime_.resume(); }
  // The disk completes nothing until simulated time `until` (the node keeps running).
  void stall_disk(Time until) { stall_until_ = until; }
  void step_clock(int64_t delta_ms) { runtime_.step_wall_clock(delta_ms); }

 private:
  class Connection;
  class Replica;
  // The peer transport as the membership service drives it: only the peers it connected
  // (and has not removed) are sent Raft messages.
  class Links : public server::PeerLinks {
   public:
    void set_peer(raft::NodeId id, const net::PeerAddress& a) override { peers_[id] = a; }
    void remove_peer(raft::NodeId id) override { peers_.erase(id); }
    bool dials(raft::NodeId id) const { return peers_.count(id) != 0; }
    void assign(std::map<raft::NodeId, net::PeerAddress> peers) { peers_ = std::move(peers); }

   private:
    std::map<raft::NodeId, net::PeerAddress> peers_;
  };
  void boot();
  bool open_log();  // durable_disk: opens (recovers) the log; false if it cannot
  raft::Storage& log() { return log_ ? static_cast<raft::Storage&>(*log_) : storage_; }
  // Snapshots, as raftkv::server::Server takes them: the image of the state machine at its
  // applied index (taken at once here, where the server forks a child to write it), then the
  // log compacted to it by a job on the disk queue, in order with the log writes.
  void after_apply();
  // The server's RAFT command (BACKUP aside) and its once-a-tick announcing of addresses.
  void server_command(const kv::Argv& argv, const kv::CommandSpec& spec, server::ReplySlot& slot);
  void role_tick();
  void take_snapshot();
  std::optional<std::string> compact_to(const raft::Snapshot& snap);

  raft::NodeId id_;
  EventQueue& queue_;
  Rng rng_;
  ServerNodeConfig config_;
  Env env_;
  SimRuntime runtime_;
  raft::MemoryStorage storage_;  // what survives a crash (without durable_disk)
  MemorySink sink_{&storage_};
  // With durable_disk: the file system survives a crash; the log is reopened on restart.
  std::unique_ptr<storage::FaultFileSystem> fs_;
  std::unique_ptr<storage::FileSystem> no_sync_fs_;  // the skip_fsync bug over fs_
  std::unique_ptr<storage::DurableStorage> log_;
  std::unique_ptr<server::DurableSink> log_sink_;
  std::string recovery_error_;
  Time stall_until_ = 0;
  uint64_t boots_ = 0;
  uint64_t applied_since_snapshot_ = 0;
  uint64_t snapshots_taken_ = 0, snapshots_installed_ = 0;
  bool snapshot_posted_ = false;
  // One process: rebuilt by restart().
  std::unique_ptr<kv::StateMachine> machine_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<server::RaftDriver> driver_;
  server::ServerStats stats_;
  std::unique_ptr<server::ClientService> service_;
  Links links_;
  std::unique_ptr<server::MembershipService> membership_;
  std::set<raft::NodeId> handshakes_;  // peers whose client address this process learned
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace raftkv::sim
