// A minimal program embedding the raftkv Raft core: three nodes in one process, with the
// program's own storage (a Storage over a vector) and transport (a queue of messages). It
// elects a leader, replicates three commands and checks every node applied them in order.
// Build it against an installed raftkv (find_package) or inside the tree; see README.md.
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "raftkv/raft/node.h"
#include "raftkv/raft/version.h"

using namespace raftkv::raft;

namespace {

// Storage: the core reads its stable log through this interface; the program writes it
// as each Ready says (append, hard state). Held in memory here; a real one is on disk.
class VectorStorage : public Storage {
 public:
  explicit VectorStorage(ConfState conf) : conf_(std::move(conf)) {}

  InitialState initial_state() const override { return {hard_state_, conf_}; }
  StorageResult<std::vector<Entry>> entries(Index lo, Index hi, uint64_t max_bytes) const override {
    if (lo < 1) return StorageError::kCompacted;
    if (hi > last_index() + 1) return StorageError::kUnavailable;
    std::vector<Entry> out;
    uint64_t bytes = 0;
    for (Index i = lo; i < hi; ++i) {
      bytes += entry_size(log_[i - 1]);
      if (!out.empty() && bytes > max_bytes) break;  // at least one entry
      out.push_back(log_[i - 1]);
    }
    return out;
  }
  StorageResult<Term> term(Index i) const override {
    if (i == 0) return Term{0};
    if (i > last_index()) return StorageError::kUnavailable;
    return log_[i - 1].term;
  }
  Index first_index() const override { return 1; }  // never compacted in this example
  Index last_index() const override { return log_.size(); }
  Snapshot snapshot() const override { return {}; }

  // Ready.entries replace whatever is stored from their first index on.
  void append(const std::vector<Entry>& entries) {
    if (entries.empty()) return;
    log_.resize(entries.front().index - 1);
    log_.insert(log_.end(), entries.begin(), entries.end());
  }
  void set_hard_state(const HardState& hs) { hard_state_ = hs; }

 private:
  ConfState conf_;
  HardState hard_state_;
  std::vector<Entry> log_;  // log_[i - 1] is entry i
};

struct Member {
  explicit Member(const ConfState& conf) : storage(conf) {}
  VectorStorage storage;
  std::vector<std::string> applied;
};

// Transport: messages wait in a queue until deliver() hands them to their recipient. A
// real transport encodes Message and sends it over the network; loss and reordering are
// fine, Raft tolerates them.
class Cluster {
 public:
  explicit Cluster(const ConfState& conf) {
    for (NodeId id : conf.voters) {
      Config config;
      config.id = id;
      config.election_tick = 10;
      config.heartbeat_tick = 1;
      config.random_seed = id;
      // Storage lives in the map, so the node is made after it, from its address.
      auto [it, _] = members_.try_emplace(id, conf);
      auto node = Node::create(config, &it->second.storage);
      if (!node) {
        std::fprintf(stderr, "bad config: %s\n", node.error().message.c_str());
        std::exit(1);
      }
      nodes_.emplace(id, std::move(node).value());
    }
  }

  Node& node(NodeId id) { return nodes_.at(id); }

  // One unit of time: every node ticks, then their work is done until the network is quiet.
  void tick() {
    for (auto& [id, n] : nodes_) n.tick();
    for (int round = 0; round < 100 && (handle_ready() || !queue_.empty()); ++round) deliver();
  }

  NodeId leader() {
    for (auto& [id, n] : nodes_) {
      if (n.role() == Role::kLeader) return id;
    }
    return kNoNode;
  }
  const std::vector<std::string>& applied(NodeId id) { return members_.at(id).applied; }

 private:
  // The Ready loop of the durability contract (node.h): messages, then storage, then the
  // messages that need it durable, then applying committed entries, then advance().
  bool handle_ready() {
    bool any = false;
    for (auto& [id, n] : nodes_) {
      while (n.has_ready()) {
        any = true;
        Ready rd = n.ready();
        for (const Message& m : rd.messages) queue_.push_back(m);
        VectorStorage& storage = members_.at(id).storage;
        storage.append(rd.entries);  // a durable storage would fsync here
        if (rd.hard_state) storage.set_hard_state(*rd.hard_state);
        for (const Message& m : rd.messages_after_persist) queue_.push_back(m);
        for (const Entry& e : rd.committed_entries) {
          // Empty normal entries are new leaders' no-ops; this cluster never changes
          // membership, so there are no kConfChange entries to look at.
          if (e.type == EntryType::kNormal && !e.data.empty()) {
            members_.at(id).applied.push_back(e.data);
          }
        }
        n.advance(rd);
      }
    }
    return any;
  }

  void deliver() {
    std::deque<Message> batch;
    batch.swap(queue_);
    for (const Message& m : batch) nodes_.at(m.to).step(m);
  }

  // Members (storage) first: nodes point into them and must be destroyed before.
  std::map<NodeId, Member> members_;
  std::map<NodeId, Node> nodes_;
  std::deque<Message> queue_;
};

}  // namespace

int main() {
  std::printf("raftkv %s: three nodes, one process\n", kVersionString);
  Cluster cluster(ConfState{{1, 2, 3}, {}, {}});
  NodeId leader = kNoNode;
  for (int t = 0; t < 100 && leader == kNoNode; ++t) {
    cluster.tick();
    leader = cluster.leader();
  }
  if (leader == kNoNode) {
    std::fprintf(stderr, "no leader elected\n");
    return 1;
  }
  std::printf("node %llu leads term %llu\n", static_cast<unsigned long long>(leader),
              static_cast<unsigned long long>(cluster.node(leader).term()));
  for (const char* cmd : {"set x 1", "set y 2", "del x"}) {
    auto proposed = cluster.node(leader).propose(cmd);
    if (!proposed) {
      std::fprintf(stderr, "refused: %s\n", to_string(proposed.error()));
      return 1;
    }
    std::printf("proposed '%s' at index %llu\n", cmd,
                static_cast<unsigned long long>(proposed->index));
  }
  for (int t = 0; t < 5; ++t) cluster.tick();  // followers learn the commit index
  const std::vector<std::string> want{"set x 1", "set y 2", "del x"};
  for (NodeId id : {1, 2, 3}) {
    if (cluster.applied(id) != want) {
      std::fprintf(stderr, "node %llu applied %zu commands, not 3\n",
                   static_cast<unsigned long long>(id), cluster.applied(id).size());
      return 1;
    }
  }
  std::printf("all three nodes applied the same three commands\n");
  return 0;
}
