#include "crash_model.h"

#include <sstream>

namespace raftkv::storage::testing {

std::string Op::describe() const {
  std::ostringstream os;
  switch (kind) {
    case Kind::kSave:
      os << "save(";
      if (snapshot) os << "snapshot@" << snapshot->meta.index << " ";
      if (!entries.empty())
        os << "entries " << entries.front().index << ".." << entries.back().index;
      if (hard_state)
        os << " hs{" << hard_state->term << "," << hard_state->vote << "," << hard_state->commit
           << "}";
      os << ")";
      break;
    case Kind::kCompact:
      os << "compact(" << index << ")";
      break;
    case Kind::kSetConf:
      os << "set_conf";
      break;
  }
  return os.str();
}

Op save(std::optional<raft::HardState> hs, std::vector<raft::Entry> entries,
        std::optional<raft::Snapshot> snap) {
  Op op;
  op.kind = Op::Kind::kSave;
  op.hard_state = hs;
  op.entries = std::move(entries);
  op.snapshot = std::move(snap);
  return op;
}

Op compact(raft::Index index, std::string data) {
  Op op;
  op.kind = Op::Kind::kCompact;
  op.index = index;
  op.conf = raft::ConfState{{1, 2, 3}, {}, {}};
  op.data = std::move(data);
  return op;
}

Op set_conf(raft::ConfState conf) {
  Op op;
  op.kind = Op::Kind::kSetConf;
  op.conf = std::move(conf);
  return op;
}

Status run(DurableStorage* s, const Op& op) {
  switch (op.kind) {
    case Op::Kind::kSave:
      return s->save(op.hard_state, op.entries, op.snapshot);
    case Op::Kind::kCompact:
      return s->compact(op.index, op.conf, op.data);
    case Op::Kind::kSetConf:
      return s->set_conf_state(op.conf);
  }
  return Status::InvalidArgument("unknown op");
}

raft::MemoryStorage applied(raft::MemoryStorage model, const Op& op) {
  switch (op.kind) {
    case Op::Kind::kSave:
      if (op.snapshot) model.apply_snapshot(*op.snapshot);
      model.append(op.entries);
      if (op.hard_state) model.set_hard_state(*op.hard_state);
      break;
    case Op::Kind::kCompact:
      (void)model.compact(op.index, op.conf, op.data);
      break;
    case Op::Kind::kSetConf:
      break;
  }
  return model;
}

std::vector<raft::MemoryStorage> crash_outcomes(const raft::MemoryStorage& acked, const Op& op) {
  std::vector<raft::MemoryStorage> out{acked};
  if (op.kind != Op::Kind::kSave) {
    out.push_back(applied(acked, op));
    return out;
  }
  // Records are written in this order: snapshot, entries one by one, hard state.
  raft::MemoryStorage m = acked;
  if (op.snapshot) {
    m.apply_snapshot(*op.snapshot);
    out.push_back(m);
  }
  for (size_t j = 1; j <= op.entries.size(); ++j) {
    raft::MemoryStorage partial = m;
    partial.append(std::vector<raft::Entry>(op.entries.begin(), op.entries.begin() + j));
    out.push_back(partial);
  }
  out.push_back(applied(acked, op));
  return out;
}

std::string diff(const DurableStorage& s, const raft::MemoryStorage& m) {
  std::ostringstream os;
  if (s.first_index() != m.first_index()) {
    os << "first_index " << s.first_index() << " vs " << m.first_index() << "; ";
  }
  if (s.last_index() != m.last_index()) {
    os << "last_index " << s.last_index() << " vs " << m.last_index() << "; ";
  }
  if (!os.str().empty()) return os.str();
  raft::StorageResult<raft::Term> st = s.term(s.first_index() - 1),
                                  mt = m.term(m.first_index() - 1);
  if (st.ok() != mt.ok() || (st.ok() && *st != *mt)) os << "snapshot term differs; ";
  if (s.last_index() >= s.first_index()) {
    auto se = s.entries(s.first_index(), s.last_index() + 1, UINT64_MAX);
    auto me = m.entries(m.first_index(), m.last_index() + 1, UINT64_MAX);
    if (!se.ok() || !me.ok() || se.value() != me.value()) os << "entries differ; ";
  }
  raft::HardState sh = s.hard_state(), mh = m.hard_state();
  if (sh != mh) {
    os << "hard state {" << sh.term << "," << sh.vote << "," << sh.commit << "} vs {" << mh.term
       << "," << mh.vote << "," << mh.commit << "}; ";
  }
  if (s.snapshot().data != m.snapshot().data) os << "snapshot data differs; ";
  return os.str();
}

}  // namespace raftkv::storage::testing
