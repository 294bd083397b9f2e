// A small in-memory cluster for the core's unit tests: nodes with memory storage, a
// message queue that the test delivers explicitly, and helpers to cut links. The full
// fault-injecting simulator lives in tests/sim; this harness keeps paper tests readable.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/testing.h"
#include "raftkv/raft/node.h"

namespace raftkv::raft::test {

// A node plus the storage it persists to and the entries it applied.
struct Peer {
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<Node> node;
  std::vector<Entry> applied;
  std::vector<ReadState> reads;
};

// A node's Config plus the test-only switches that break it on purpose.
struct TestConfig : Config {
  testing::InjectedBugs bugs;
};

// Builds a log of entries with the given terms, starting at index 1.
std::vector<Entry> entries_with_terms(const std::vector<Term>& terms);

class Cluster {
 public:
  // Nodes 1..n, all voters; `customize` may edit each node's Config before creation.
  explicit Cluster(int n, std::function<void(TestConfig&)> customize = {});

  Node& node(NodeId id) { return *peers_.at(id).node; }
  // The implementation behind node `id` (its log and progress tracker).
  const Raft& raft(NodeId id) const { return testing::internals(*peers_.at(id).node); }
  Peer& peer(NodeId id) { return peers_.at(id); }
  MemoryStorage& storage(NodeId id) { return *peers_.at(id).storage; }
  std::vector<NodeId> ids() const;

  // Adds node `id` with empty storage that starts from configuration `conf` (empty: it
  // learns the configuration from the leader's log).
  void add_node(NodeId id, const ConfState& conf = {});
  // Re-creates node `id` from what its storage holds, as after a crash and restart.
  // Unpersisted state is lost (there is none: process() persists every Ready at once).
  void restart(NodeId id);
  // Replaces node `id`'s storage with a log of the given terms at term `term`.
  void set_log(NodeId id, const std::vector<Term>& terms, Term term);

  // Drains every node's Ready: persists, applies and queues the messages.
  void process();
  // Delivers queued messages (and the ones they cause) until the network is quiet, or
  // `max_rounds` rounds have passed. Messages over cut links are dropped.
  void deliver_all(int max_rounds = 100);
  // Delivers only the currently queued messages, once.
  void deliver_once();
  std::vector<Message> take_messages();
  void send(const Message& m) { queue_.push_back(m); }

  void tick(NodeId id, int times = 1);
  void tick_all(int times = 1);
  // Ticks every node until one leads (with delivery between ticks), or gives up.
  NodeId elect_any(int max_ticks = 1000);
  // Makes `id` campaign and delivers until quiet.
  void campaign(NodeId id);

  void isolate(NodeId id);
  void cut(NodeId a, NodeId b);
  void heal();
  bool linked(NodeId a, NodeId b) const;

  // Nodes whose disk stalls: process() leaves their Ready untaken, so nothing they did
  // since is durable (and a restart loses it) until they are released.
  std::set<NodeId> held;
  // Message types whose delivery is suppressed (for scripted scenarios).
  std::set<MessageType> drop_types;
  // When set, a message is delivered only if the filter returns true; the filter may
  // also rewrite the message in flight.
  std::function<bool(Message&)> filter;
  // Every message delivered so far (for counting round trips).
  std::vector<Message> delivered;

  NodeId leader() const;

 private:
  void make_node(NodeId id);

  int n_;
  std::function<void(TestConfig&)> customize_;
  std::map<NodeId, Peer> peers_;
  std::vector<Message> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

}  // namespace raftkv::raft::test
