// A replicated counter on the raftkv core, built with add_subdirectory (CMakeLists.txt):
// three replicas apply "add N" commands in log order, so they agree on the total, even
// after the leader is cut off and a new one takes over.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "raftkv/raft/node.h"

using namespace raftkv::raft;

namespace {

struct Replica {
  MemoryStorage storage;  // the core's in-memory Storage; a real one persists
  std::unique_ptr<Node> node;
  long long total = 0;
  bool up = true;
};

class Counter {
 public:
  Counter() {
    ConfState conf{{1, 2, 3}, {}, {}};
    for (NodeId id : conf.voters) {
      Replica& r = replicas_[id];
      r.storage.set_conf_state(conf);
      Config c;
      c.id = id;
      c.random_seed = 100 + id;
      r.node = std::make_unique<Node>(c, &r.storage);
    }
  }

  void run(int ticks) {
    for (int t = 0; t < ticks; ++t) {
      for (auto& [id, r] : replicas_) {
        if (r.up) r.node->tick();
      }
      for (int round = 0; round < 50; ++round) {
        std::vector<Message> out;
        for (auto& [id, r] : replicas_) drain(r, out);
        if (out.empty()) break;
        for (const Message& m : out) {
          Replica& to = replicas_[m.to];
          if (to.up && replicas_[m.from].up) to.node->step(m);
        }
      }
    }
  }

  NodeId leader() const {
    for (const auto& [id, r] : replicas_) {
      if (r.up && r.node->role() == Role::kLeader) return id;
    }
    return kNoNode;
  }
  bool add(long long n) {
    NodeId l = leader();
    return l != kNoNode && replicas_[l].node->propose("add " + std::to_string(n)).has_value();
  }
  void set_up(NodeId id, bool up) { replicas_[id].up = up; }
  long long total(NodeId id) { return replicas_[id].total; }

 private:
  static void drain(Replica& r, std::vector<Message>& out) {
    if (!r.up) return;
    while (r.node->has_ready()) {
      Ready rd = r.node->ready();
      out.insert(out.end(), rd.messages.begin(), rd.messages.end());
      r.storage.append(rd.entries);
      if (rd.hard_state) r.storage.set_hard_state(*rd.hard_state);
      out.insert(out.end(), rd.messages_after_persist.begin(), rd.messages_after_persist.end());
      for (const Entry& e : rd.committed_entries) {
        if (e.type == EntryType::kNormal && e.data.rfind("add ", 0) == 0) {
          r.total += std::stoll(e.data.substr(4));
        }
      }
      r.node->advance(rd);
    }
  }

  std::map<NodeId, Replica> replicas_;
};

}  // namespace

int main() {
  Counter counter;
  counter.run(40);
  NodeId first = counter.leader();
  if (first == kNoNode || !counter.add(5) || !counter.add(7)) return std::puts("no leader"), 1;
  counter.run(5);
  counter.set_up(first, false);  // the leader crashes; the others elect a new one
  counter.run(60);
  if (counter.leader() == kNoNode || !counter.add(30)) return std::puts("no new leader"), 1;
  counter.run(5);
  counter.set_up(first, true);  // it comes back and catches up
  counter.run(20);
  for (NodeId id : {1, 2, 3}) {
    std::printf("replica %llu: %lld\n", static_cast<unsigned long long>(id), counter.total(id));
    if (counter.total(id) != 42) return 1;
  }
  return 0;
}
