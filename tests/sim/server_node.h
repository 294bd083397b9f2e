// One node of the whole-node simulation: the server's own RaftDriver (pipelined disk
// batches, apply-early, lazy commit), ClientService (connection order, read batching,
// redirects, log-time expiry) and kv::StateMachine (the Redis commands, TTLs) — the code
// that ships — on a SimRuntime (simulated clocks and event loop) and a SimDiskQueue.
//
// What is not the server's own: the storage is a MemoryStorage (a crash keeps what the
// disk queue completed, loses the rest), and the glue that raftkv::server::Server adds
// (snapshots, membership, the member directory, INFO) is left out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "kv/state_machine.h"
#include "raft/storage.h"
#include "server/client_service.h"
#include "server/raft_driver.h"
#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/sim_disk_queue.h"
#include "sim/sim_runtime.h"

namespace raftkv::sim {

struct ServerNodeConfig {
  int election_tick = 10;
  std::chrono::milliseconds tick{10};  // kTick units of simulated time
  std::chrono::milliseconds request_timeout{1000};
  SimDiskConfig disk;
  server::ClientService::InjectedBugs bugs;
};

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
  const raft::MemoryStorage& storage() const { return storage_; }
  SimRuntime& runtime() { return runtime_; }

  // A message from the network, handled as one event of this node.
  void deliver(raft::Message m);
  // Command `op` of client connection `conn` arrives (connections are opened on first use).
  // Nothing happens if the node is down: the client times out.
  void request(uint64_t conn, uint64_t op, kv::Argv argv);

  void crash();
  void restart();
  void pause() { runtime_.pause(); }
  void resume() { runtime_.resume(); }
  // The disk completes nothing until simulated time `until` (the node keeps running).
  void stall_disk(Time until) { stall_until_ = until; }
  void step_clock(int64_t delta_ms) { runtime_.step_wall_clock(delta_ms); }

 private:
  class Connection;
  class Replica;
  void boot();

  raft::NodeId id_;
  EventQueue& queue_;
  Rng rng_;
  ServerNodeConfig config_;
  Env env_;
  SimRuntime runtime_;
  raft::MemoryStorage storage_;  // what survives a crash
  MemorySink sink_{&storage_};
  Time stall_until_ = 0;
  uint64_t boots_ = 0;
  // One process: rebuilt by restart().
  std::unique_ptr<kv::StateMachine> machine_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<server::RaftDriver> driver_;
  server::ServerStats stats_;
  std::unique_ptr<server::ClientService> service_;
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;
};

}  // namespace raftkv::sim
