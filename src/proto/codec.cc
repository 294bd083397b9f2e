#include "proto/codec.h"

#include <climits>
#include <memory>

#include "raft.pb.h"

namespace raftkv::proto {
namespace {

// --- raft -> proto ---------------------------------------------------------------------

void to_proto(const raft::Entry& e, Entry* p) {
  p->set_term(e.term);
  p->set_index(e.index);
  p->set_type(static_cast<EntryType>(e.type));
  p->set_data(e.data);
}

void to_proto(const raft::HardState& hs, HardState* p) {
  p->set_term(hs.term);
  p->set_vote(hs.vote);
  p->set_commit(hs.commit);
}

void to_proto(const raft::ConfState& cs, ConfState* p) {
  p->mutable_voters()->Add(cs.voters.begin(), cs.voters.end());
  p->mutable_voters_outgoing()->Add(cs.voters_outgoing.begin(), cs.voters_outgoing.end());
  p->mutable_learners()->Add(cs.learners.begin(), cs.learners.end());
}

void to_proto(const raft::SnapshotMeta& meta, SnapshotMeta* p) {
  p->set_index(meta.index);
  p->set_term(meta.term);
  to_proto(meta.conf, p->mutable_conf());
}

void to_proto(const raft::Snapshot& snap, Snapshot* p) {
  to_proto(snap.meta, p->mutable_meta());
  p->set_data(snap.data);
}

void to_proto(const raft::Message& m, Message* p) {
  p->set_type(static_cast<MessageType>(m.type));
  p->set_from(m.from);
  p->set_to(m.to);
  p->set_term(m.term);
  p->set_index(m.index);
  p->set_log_term(m.log_term);
  p->mutable_entries()->Reserve(static_cast<int>(m.entries.size()));
  for (const raft::Entry& e : m.entries) to_proto(e, p->add_entries());
  p->set_commit(m.commit);
  p->set_reject(m.reject);
  p->set_reject_hint(m.reject_hint);
  p->set_hint_term(m.hint_term);
  p->set_read_seq(m.read_seq);
  p->set_context(m.context);
  p->set_transfer(m.transfer);
  if (m.snapshot) to_proto(*m.snapshot, p->mutable_snapshot());
}

// --- proto -> raft (fails on values the C++ enums cannot hold) ------------------------

bool from_proto(const Entry& p, raft::Entry* e) {
  if (p.type() != ENTRY_NORMAL && p.type() != ENTRY_CONF_CHANGE) return false;
  e->term = p.term();
  e->index = p.index();
  e->type = static_cast<raft::EntryType>(p.type());
  e->data = p.data();
  return true;
}

bool from_proto(const HardState& p, raft::HardState* hs) {
  hs->term = p.term();
  hs->vote = p.vote();
  hs->commit = p.commit();
  return true;
}

bool from_proto(const ConfState& p, raft::ConfState* cs) {
  cs->voters.assign(p.voters().begin(), p.voters().end());
  cs->voters_outgoing.assign(p.voters_outgoing().begin(), p.voters_outgoing().end());
  cs->learners.assign(p.learners().begin(), p.learners().end());
  return true;
}

bool from_proto(const SnapshotMeta& p, raft::SnapshotMeta* meta) {
  meta->index = p.index();
  meta->term = p.term();
  return from_proto(p.conf(), &meta->conf);
}

bool from_proto(const Snapshot& p, raft::Snapshot* snap) {
  snap->data = p.data();
  return from_proto(p.meta(), &snap->meta);
}

bool from_proto(const Message& p, raft::Message* m) {
  if (p.type() < MSG_HUP || p.type() > MSG_TIMEOUT_NOW) return false;
  m->type = static_cast<raft::MessageType>(p.type());
  m->from = p.from();
  m->to = p.to();
  m->term = p.term();
  m->index = p.index();
  m->log_term = p.log_term();
  m->entries.clear();
  m->entries.reserve(static_cast<size_t>(p.entries_size()));
  for (const Entry& pe : p.entries()) {
    if (!from_proto(pe, &m->entries.emplace_back())) return false;
  }
  m->commit = p.commit();
  m->reject = p.reject();
  m->reject_hint = p.reject_hint();
  m->hint_term = p.hint_term();
  m->read_seq = p.read_seq();
  m->context = p.context();
  m->transfer = p.transfer();
  m->snapshot.reset();
  if (p.has_snapshot()) {
    if (!from_proto(p.snapshot(), &m->snapshot.emplace())) return false;
  }
  return true;
}

// One protobuf object per thread and type, cleared and reused: a cleared message keeps its
// repeated elements and string buffers, so encoding an append of many entries (and the
// log's per-entry records) allocates nothing once warm. A message that grew past
// kScratchKeepBytes (a snapshot, a huge batch) is dropped after use rather than kept.
constexpr size_t kScratchKeepBytes = 4 << 20;

template <typename Proto>
class Scratch {
 public:
  Proto& get() {
    if (!proto_) proto_ = std::make_unique<Proto>();
    proto_->Clear();
    return *proto_;
  }
  void done(size_t bytes) {
    if (bytes > kScratchKeepBytes) proto_.reset();
  }

 private:
  std::unique_ptr<Proto> proto_;
};

template <typename Proto>
Scratch<Proto>& scratch() {
  thread_local Scratch<Proto> s;
  return s;
}

template <typename Proto, typename Value>
std::string encode_as(const Value& v) {
  Proto& p = scratch<Proto>().get();
  to_proto(v, &p);
  std::string out = p.SerializeAsString();
  scratch<Proto>().done(out.size());
  return out;
}

template <typename Proto, typename Value>
bool decode_as(std::string_view bytes, Value* out) {
  // protobuf's parser takes an int length; anything larger is not ours anyway.
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  Proto& p = scratch<Proto>().get();
  const bool ok =
      p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) && from_proto(p, out);
  scratch<Proto>().done(bytes.size());
  return ok;
}

}  // namespace

std::string encode(const raft::Entry& e) {
  return encode_as<Entry>(e);
}
std::string encode(const raft::HardState& hs) {
  return encode_as<HardState>(hs);
}
std::string encode(const raft::ConfState& cs) {
  return encode_as<ConfState>(cs);
}
std::string encode(const raft::SnapshotMeta& meta) {
  return encode_as<SnapshotMeta>(meta);
}
std::string encode(const raft::Snapshot& snap) {
  return encode_as<Snapshot>(snap);
}
std::string encode(const raft::Message& m) {
  return encode_as<Message>(m);
}

void encode_to(const raft::Entry& e, std::string* out) {
  Entry& p = scratch<Entry>().get();
  to_proto(e, &p);
  p.AppendToString(out);
  scratch<Entry>().done(e.data.size());
}

void encode_to(const raft::Message& m, std::string* out) {
  Message& p = scratch<Message>().get();
  to_proto(m, &p);
  const size_t before = out->size();
  p.AppendToString(out);
  scratch<Message>().done(out->size() - before);
}

bool decode(std::string_view bytes, raft::Entry* out) {
  return decode_as<Entry>(bytes, out);
}
bool decode(std::string_view bytes, raft::HardState* out) {
  return decode_as<HardState>(bytes, out);
}
bool decode(std::string_view bytes, raft::ConfState* out) {
  return decode_as<ConfState>(bytes, out);
}
bool decode(std::string_view bytes, raft::SnapshotMeta* out) {
  return decode_as<SnapshotMeta>(bytes, out);
}
bool decode(std::string_view bytes, raft::Snapshot* out) {
  return decode_as<Snapshot>(bytes, out);
}
bool decode(std::string_view bytes, raft::Message* out) {
  return decode_as<Message>(bytes, out);
}

}  // namespace raftkv::proto
