// A three-node cluster of the real Raft core in one process, on a logical clock, printing
// what happens: an election, replicated commands, a leader crash and a new election.
// It exits non-zero if the cluster fails to elect or commit, so CTest runs it too.
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raftkv/raft/node.h"

namespace {

using namespace raftkv::raft;

struct DemoNode {
  std::unique_ptr<MemoryStorage> storage = std::make_unique<MemoryStorage>();
  std::unique_ptr<Node> node;
  std::vector<std::string> applied;
  bool up = true;
};

class Demo {
 public:
  explicit Demo(bool quiet) : quiet_(quiet) {
    ConfState conf{{1, 2, 3}, {}, {}};
    for (NodeId id : conf.voters) {
      nodes_[id].storage->set_conf_state(conf);
      start(id);
    }
  }

  void start(NodeId id) {
    Config c;
    c.id = id;
    c.election_tick = 10;
    c.heartbeat_tick = 2;
    c.random_seed = 7;
    nodes_[id].node = std::make_unique<Node>(c, nodes_[id].storage.get());
    nodes_[id].applied.clear();
    nodes_[id].up = true;
  }

  void say(const char* fmt, auto... args) {
    if (quiet_) return;
    std::printf("[t=%3d] ", now_);
    std::printf(fmt, args...);
    std::printf("\n");
  }

  // One tick of logical time: every live node ticks, then all work is processed and
  // messages are delivered until the network is quiet.
  void step_time() {
    ++now_;
    for (auto& [id, n] : nodes_) {
      if (n.up) n.node->tick();
    }
    for (int round = 0; round < 50; ++round) {
      std::vector<Message> inflight;
      for (auto& [id, n] : nodes_) drain(id, n, inflight);
      if (inflight.empty()) break;
      for (const Message& m : inflight) {
        auto& to = nodes_[m.to];
        if (to.up && nodes_[m.from].up) to.node->step(m);
      }
    }
    report_leader();
  }

  void drain(NodeId id, DemoNode& n, std::vector<Message>& out) {
    if (!n.up) return;
    while (n.node->has_ready()) {
      Ready rd = n.node->ready();
      out.insert(out.end(), rd.messages.begin(), rd.messages.end());
      n.storage->append(rd.entries);
      if (rd.hard_state) n.storage->set_hard_state(*rd.hard_state);
      out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
      for (const Entry& e : rd.committed_entries) {
        if (e.data.empty()) continue;  // a new leader's no-op
        n.applied.push_back(e.data);
        say("node %llu applies index %llu: \"%s\"", (unsigned long long)id,
            (unsigned long long)e.index, e.data.c_str());
      }
      n.node->advance(rd);
    }
  }

  void report_leader() {
    NodeId l = leader();
    if (l != last_leader_ && l != kNoNode) {
      say("node %llu is leader of term %llu", (unsigned long long)l,
          (unsigned long long)nodes_[l].node->term());
    }
    last_leader_ = l;
  }

  NodeId leader() {
    for (auto& [id, n] : nodes_) {
      if (n.up && n.node->role() == Role::kLeader) return id;
    }
    return kNoNode;
  }

  bool wait_for_leader(int max_ticks) {
    for (int i = 0; i < max_ticks && leader() == kNoNode; ++i) step_time();
    return leader() != kNoNode;
  }

  bool propose(const std::string& cmd) {
    NodeId l = leader();
    if (l == kNoNode) return false;
    say("client sends \"%s\" to leader %llu", cmd.c_str(), (unsigned long long)l);
    return nodes_[l].node->propose(cmd).has_value();
  }

  void crash(NodeId id) {
    say("node %llu crashes", (unsigned long long)id);
    nodes_[id].up = false;
  }
  void restart(NodeId id) {
    say("node %llu restarts from its persisted log and vote", (unsigned long long)id);
    start(id);
  }

  std::map<NodeId, DemoNode>& nodes() { return nodes_; }

 private:
  bool quiet_;
  int now_ = 0;
  NodeId last_leader_ = kNoNode;
  std::map<NodeId, DemoNode> nodes_;
};

int fail(const char* what) {
  std::fprintf(stderr, "demo failed: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool quiet = argc > 1 && std::strcmp(argv[1], "--quiet") == 0;
  Demo demo(quiet);
  if (!demo.wait_for_leader(100)) return fail("no leader elected");
  for (const char* cmd : {"SET a 1", "SET b 2", "INCR a"}) {
    if (!demo.propose(cmd)) return fail("proposal refused");
  }
  for (int i = 0; i < 5; ++i) demo.step_time();

  NodeId old = demo.leader();
  demo.crash(old);
  if (!demo.wait_for_leader(100)) return fail("no new leader after crash");
  if (!demo.propose("SET c 3")) return fail("proposal refused");
  for (int i = 0; i < 5; ++i) demo.step_time();
  demo.restart(old);
  for (int i = 0; i < 30; ++i) demo.step_time();

  const std::vector<std::string> expected{"SET a 1", "SET b 2", "INCR a", "SET c 3"};
  for (auto& [id, n] : demo.nodes()) {
    if (n.applied != expected) return fail("a node applied a different sequence");
  }
  if (!quiet) std::printf("all 3 nodes applied the same 4 commands in the same order\n");
  return 0;
}
