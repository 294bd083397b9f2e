#include "sim/safety_monitor.h"

#include <algorithm>
#include <functional>

namespace raftkv::sim {

namespace {

std::string n(raft::NodeId id) {
  return "n" + std::to_string(id);
}
size_t hash_data(const std::string& data) {
  return std::hash<std::string>{}(data);
}

}  // namespace

void SafetyMonitor::fail(std::string property, std::string detail) {
  if (!violation_) violation_ = Violation{std::move(property), std::move(detail)};
}

void SafetyMonitor::observe(const std::vector<const raft::Node*>& nodes) {
  leaders_now_.clear();
  for (const raft::Node* node : nodes) {
    if (node == nullptr) continue;
    raft::Term term = node->term();
    switch (node->role()) {
      case raft::Role::kLeader: {
        leaders_now_.push_back(node);
        auto [it, inserted] = leaders_.try_emplace(term, node->id());
        if (!inserted && it->second != node->id()) {
          fail("election safety", "two leaders in term " + std::to_string(term) + ": " +
                                      n(it->second) + " and " + n(node->id()));
        }
        if (inserted) {
          // A new leader must hold every entry committed in an earlier term.
          for (const auto& [index, c] : committed_) {
            if (c.commit_term_bound < term) check_leader_holds(node->id(), *node, index, c);
          }
        }
        break;
      }
      case raft::Role::kCandidate:
        candidate_terms_.insert(term);
        break;
      default:
        break;
    }
  }
  for (const raft::Node* node : nodes) {
    if (node == nullptr) continue;
    raft::NodeId id = node->id();
    raft::Index commit = raft::testing::internals(*node).log().committed();
    raft::Index& last = last_commit_[id];
    if (commit < last) {
      fail("commit monotonicity", n(id) + " commit index went from " + std::to_string(last) +
                                      " to " + std::to_string(commit));
      return;
    }
    for (raft::Index i = last + 1; i <= commit; ++i) record_commit(id, *node, i);
    last = commit;
  }
}

void SafetyMonitor::record_commit(raft::NodeId id, const raft::Node& node, raft::Index index) {
  auto term = raft::testing::internals(node).log().term(index);
  if (!term) return;  // compacted: it was checked when it was still in the log
  auto [it, inserted] = committed_.try_emplace(index, Committed{*term, node.term()});
  Committed& c = it->second;
  if (!inserted) {
    if (c.term != *term) {
      fail("state-machine safety", "index " + std::to_string(index) + " committed with term " +
                                       std::to_string(c.term) + " elsewhere but term " +
                                       std::to_string(*term) + " on " + n(id));
      return;
    }
    if (node.term() >= c.commit_term_bound) return;
    c.commit_term_bound = node.term();
  }
  for (const raft::Node* leader : leaders_now_) {
    if (leader->term() > c.commit_term_bound) check_leader_holds(leader->id(), *leader, index, c);
  }
}

void SafetyMonitor::check_leader_holds(raft::NodeId id, const raft::Node& node, raft::Index index,
                                       const Committed& c) {
  if (index < raft::testing::internals(node).log().first_index())
    return;  // compacted into a snapshot
  auto term = raft::testing::internals(node).log().term(index);
  if (!term || *term != c.term) {
    fail("leader completeness",
         "leader " + n(id) + " of term " + std::to_string(node.term()) + " lacks entry " +
             std::to_string(index) + "/" + std::to_string(c.term) + " committed by term " +
             std::to_string(c.commit_term_bound) + " (it has " +
             (term ? "term " + std::to_string(*term) : std::string("nothing")) + " there)");
  }
}

void SafetyMonitor::on_persisted(raft::NodeId id, const std::vector<raft::Entry>& entries,
                                 const raft::Storage& storage, const raft::Snapshot* snapshot) {
  for (size_t k = 0; k < entries.size(); ++k) {
    const raft::Entry& e = entries[k];
    raft::Term prev = 0;
    if (k > 0) {
      prev = entries[k - 1].term;
    } else if (snapshot && snapshot->meta.index + 1 == e.index) {
      prev = snapshot->meta.term;
    } else if (e.index > 1) {
      auto t = storage.term(e.index - 1);
      prev = t.ok() ? *t : 0;
    }
    Stored s{hash_data(e.data), prev};
    auto [it, inserted] = stored_.try_emplace({e.index, e.term}, s);
    if (!inserted && (it->second.data_hash != s.data_hash || it->second.prev_term != prev)) {
      fail("log matching",
           n(id) + " stored entry " + std::to_string(e.index) + "/" + std::to_string(e.term) +
               " with a different command or predecessor term (" + std::to_string(prev) + " vs " +
               std::to_string(it->second.prev_term) + ") than another node");
    }
  }
}

void SafetyMonitor::on_applied(raft::NodeId id, const raft::Entry& e, uint64_t digest) {
  raft::Index& last = applied_by_[id];
  if (e.index != last + 1) {
    fail("state-machine safety", n(id) + " applied entry " + std::to_string(e.index) +
                                     " right after index " + std::to_string(last));
    return;
  }
  last = e.index;
  auto [it, inserted] = applied_.try_emplace(e.index, e.term, hash_data(e.data));
  if (!inserted && it->second != std::make_pair(e.term, hash_data(e.data))) {
    fail("state-machine safety", n(id) + " applied entry " + std::to_string(e.index) + "/" +
                                     std::to_string(e.term) + " but another node applied " +
                                     std::to_string(e.index) + "/" +
                                     std::to_string(it->second.first));
    return;
  }
  auto c = committed_.find(e.index);
  if (c != committed_.end() && c->second.term != e.term) {
    fail("state-machine safety", n(id) + " applied entry " + std::to_string(e.index) + "/" +
                                     std::to_string(e.term) + " but " + std::to_string(e.index) +
                                     "/" + std::to_string(c->second.term) + " is committed");
    return;
  }
  auto [st, fresh] = state_at_.try_emplace(e.index, digest);
  if (!fresh && st->second != digest) {
    fail("state agreement", n(id) + " holds a different state after applying index " +
                                std::to_string(e.index) + " than another node did");
  }
}

void SafetyMonitor::on_read_served(raft::NodeId id, const raft::ReadState& rs,
                                   raft::Index applied) {
  if (rs.index > applied) {
    fail("read safety", n(id) + " released read '" + rs.context + "' at index " +
                            std::to_string(rs.index) + " with only " + std::to_string(applied) +
                            " applied");
  }
}

void SafetyMonitor::on_restart(raft::NodeId id, const raft::HardState& persisted) {
  last_commit_[id] = persisted.commit;
  applied_by_[id] = 0;  // a new process: its state machine starts empty
}

void SafetyMonitor::on_snapshot_restored(raft::NodeId id, const raft::SnapshotMeta& meta,
                                         uint64_t digest, bool installed) {
  std::string what = n(id) + (installed ? " installed" : " restored") + " a snapshot at " +
                     std::to_string(meta.index) + "/" + std::to_string(meta.term);
  raft::Index& last = applied_by_[id];
  if (meta.index < last) {
    fail("state-machine safety",
         what + ", rewinding the state it had applied up to " + std::to_string(last));
    return;
  }
  last = meta.index;
  // The snapshot's last entry is committed: it must be the one committed and applied there.
  auto c = committed_.find(meta.index);
  auto a = applied_.find(meta.index);
  raft::Term other = c != committed_.end() ? c->second.term
                     : a != applied_.end() ? a->second.first
                                           : meta.term;
  if (other != meta.term) {
    fail("state-machine safety", what + " but " + std::to_string(meta.index) + "/" +
                                     std::to_string(other) + " is committed there");
    return;
  }
  auto [st, fresh] = state_at_.try_emplace(meta.index, digest);
  if (!fresh && st->second != digest) {
    fail("state agreement", what + " whose state differs from another node's at that index");
  }
}

void SafetyMonitor::final_check(const std::vector<const raft::Storage*>& logs) {
  auto entry = [](const raft::Storage& s, raft::Index i) -> std::optional<raft::Entry> {
    if (i < s.first_index() || i > s.last_index()) return std::nullopt;
    auto r = s.entries(i, i + 1, UINT64_MAX);
    if (!r.ok() || r->empty()) return std::nullopt;
    return r->front();
  };
  for (size_t a = 0; a < logs.size(); ++a) {
    const raft::Storage& la = *logs[a];
    // The compacted prefix is known by its snapshot's last entry, which is committed.
    raft::Index base = la.first_index() - 1;
    auto c = committed_.find(base);
    if (base > 0 && c != committed_.end() && la.term(base).ok() &&
        *la.term(base) != c->second.term) {
      fail("state-machine safety", n(a + 1) + "'s snapshot ends at " + std::to_string(base) + "/" +
                                       std::to_string(*la.term(base)) + ", but " +
                                       std::to_string(base) + "/" + std::to_string(c->second.term) +
                                       " was committed");
      return;
    }
    // Every entry a node persisted as committed is the committed one.
    raft::Index commit = std::min(la.initial_state().hard_state.commit, la.last_index());
    for (raft::Index i = la.first_index(); i <= commit; ++i) {
      auto c = committed_.find(i);
      auto e = entry(la, i);
      if (c != committed_.end() && e && e->term != c->second.term) {
        fail("state-machine safety", n(a + 1) + " stores " + std::to_string(i) + "/" +
                                         std::to_string(e->term) + " as committed, but " +
                                         std::to_string(i) + "/" + std::to_string(c->second.term) +
                                         " was committed");
        return;
      }
    }
    for (size_t b = a + 1; b < logs.size(); ++b) {
      const raft::Storage& lb = *logs[b];
      raft::Index lo = std::max(la.first_index(), lb.first_index());
      raft::Index hi = std::min(la.last_index(), lb.last_index());
      // The last index where the terms agree: everything before it must be identical.
      raft::Index match = 0;
      for (raft::Index i = hi; i >= lo && i > 0; --i) {
        if (la.term(i).ok() && lb.term(i).ok() && *la.term(i) == *lb.term(i)) {
          match = i;
          break;
        }
      }
      for (raft::Index i = lo; i <= match; ++i) {
        if (entry(la, i) != entry(lb, i)) {
          fail("log matching", n(a + 1) + " and " + n(b + 1) + " agree on the term of index " +
                                   std::to_string(match) + " but differ at index " +
                                   std::to_string(i));
          return;
        }
      }
    }
  }
}

}  // namespace raftkv::sim
