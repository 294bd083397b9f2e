#include "harness.h"

#include <algorithm>

namespace raftkv::raft::test {

std::vector<Entry> entries_with_terms(const std::vector<Term>& terms) {
  std::vector<Entry> out;
  for (size_t i = 0; i < terms.size(); ++i) {
    out.push_back(Entry{terms[i], i + 1, EntryType::kNormal, "e" + std::to_string(i + 1)});
  }
  return out;
}

Cluster::Cluster(int n, std::function<void(TestConfig&)> customize)
    : n_(n), customize_(std::move(customize)) {
  ConfState conf;
  for (int i = 1; i <= n; ++i) conf.voters.push_back(static_cast<NodeId>(i));
  for (NodeId id : conf.voters) {
    Peer p;
    p.storage = std::make_unique<MemoryStorage>();
    p.storage->set_conf_state(conf);
    peers_.emplace(id, std::move(p));
    make_node(id);
  }
}

void Cluster::make_node(NodeId id) {
  TestConfig c;
  c.id = id;
  c.election_tick = 10;
  c.heartbeat_tick = 1;
  c.random_seed = 42;
  if (customize_) customize_(c);
  Peer& p = peers_.at(id);
  p.node = testing::NodeAccess::make_unique(c, p.storage.get(), c.bugs);
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, _] : peers_) out.push_back(id);
  return out;
}

void Cluster::add_node(NodeId id, const ConfState& conf) {
  Peer p;
  p.storage = std::make_unique<MemoryStorage>();
  p.storage->set_conf_state(conf);
  peers_.emplace(id, std::move(p));
  make_node(id);
}

void Cluster::restart(NodeId id) {
  Peer& p = peers_.at(id);
  p.applied.clear();
  p.reads.clear();
  make_node(id);
}

void Cluster::set_log(NodeId id, const std::vector<Term>& terms, Term term) {
  Peer& p = peers_.at(id);
  ConfState conf = p.storage->initial_state().conf;
  p.storage = std::make_unique<MemoryStorage>();
  p.storage->set_conf_state(conf);
  p.storage->append(entries_with_terms(terms));
  p.storage->set_hard_state(HardState{term, kNoNode, 0});
  make_node(id);
}

void Cluster::process() {
  for (auto& [id, p] : peers_) {
    while (!held.contains(id) && p.node->has_ready()) {
      Ready rd = p.node->ready();
      for (auto& m : rd.messages) queue_.push_back(m);
      if (rd.snapshot) p.storage->apply_snapshot(*rd.snapshot);
      p.storage->append(rd.entries);
      if (rd.hard_state) p.storage->set_hard_state(*rd.hard_state);
      for (auto& m : rd.messages_after_persist) queue_.push_back(m);
      for (auto& e : rd.committed_entries) p.applied.push_back(e);
      for (auto& r : rd.read_states) p.reads.push_back(r);
      p.node->advance(rd);
    }
  }
}

std::vector<Message> Cluster::take_messages() {
  process();
  return std::exchange(queue_, {});
}

bool Cluster::linked(NodeId a, NodeId b) const {
  return !cut_.count({a, b}) && !cut_.count({b, a});
}

void Cluster::deliver_once() {
  auto msgs = take_messages();
  for (auto& m : msgs) {
    if (!peers_.count(m.to) || !linked(m.from, m.to) || drop_types.count(m.type)) continue;
    if (filter && !filter(m)) continue;
    delivered.push_back(m);
    peers_.at(m.to).node->step(m);
  }
  process();
}

void Cluster::deliver_all(int max_rounds) {
  process();
  for (int i = 0; i < max_rounds && !queue_.empty(); ++i) deliver_once();
}

void Cluster::tick(NodeId id, int times) {
  for (int i = 0; i < times; ++i) peers_.at(id).node->tick();
  process();
}

void Cluster::tick_all(int times) {
  for (int i = 0; i < times; ++i) {
    for (auto& [id, p] : peers_) p.node->tick();
    deliver_all();
  }
}

NodeId Cluster::elect_any(int max_ticks) {
  for (int i = 0; i < max_ticks; ++i) {
    if (NodeId l = leader(); l != kNoNode) return l;
    tick_all();
  }
  return leader();
}

void Cluster::campaign(NodeId id) {
  node(id).campaign();
  deliver_all();
}

void Cluster::isolate(NodeId id) {
  for (const auto& [other, _] : peers_) {
    if (other != id) cut(id, other);
  }
}

void Cluster::cut(NodeId a, NodeId b) {
  cut_.insert({a, b});
}

void Cluster::heal() {
  cut_.clear();
}

NodeId Cluster::leader() const {
  // The leader of the highest term, if any (a stale leader may linger in a partition).
  NodeId best = kNoNode;
  Term best_term = 0;
  for (const auto& [id, p] : peers_) {
    if (p.node->role() == Role::kLeader && p.node->term() >= best_term) {
      best = id;
      best_term = p.node->term();
    }
  }
  return best;
}

}  // namespace raftkv::raft::test
