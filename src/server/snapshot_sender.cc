#include "server/snapshot_sender.h"

#include <algorithm>

#include "storage/checksum.h"

namespace raftkv::server {

SnapshotSender::SnapshotSender(Options options, SendFn send, LoadFn load, uint64_t id_seed)
    : options_(options), send_(std::move(send)), load_(std::move(load)), next_id_(id_seed) {}

void SnapshotSender::start(const raft::Message& m, Clock::time_point now) {
  if (!m.snapshot) return;
  auto it = transfers_.find(m.to);
  if (it != transfers_.end() && it->second.term == m.term &&
      it->second.index == m.snapshot->meta.index) {
    return;  // already on its way
  }
  Transfer t;
  t.id = next_id_++;
  t.term = m.term;
  t.index = m.snapshot->meta.index;
  t.last_progress = now;
  ++stats_.transfers_started;
  transfers_[m.to] = std::move(t);
  if (!m.snapshot->data.empty()) {
    loaded(m.to, std::make_shared<const raft::Snapshot>(*m.snapshot), now);
  } else {
    load_(m.to);  // the storage keeps the image on disk only
  }
}

void SnapshotSender::loaded(raft::NodeId peer, std::shared_ptr<const raft::Snapshot> snap,
                            Clock::time_point now) {
  auto it = transfers_.find(peer);
  if (it == transfers_.end() || it->second.snap) return;  // cancelled or replaced
  Transfer& t = it->second;
  t.last_progress = now;
  if (!snap || snap->empty()) return;  // tick() asks again after the timeout
  t.snap = std::move(snap);
  t.checksum = storage::checksum32(t.snap->data);
  pump(peer, t);
}

void SnapshotSender::pump(raft::NodeId peer, Transfer& t) {
  const std::string& data = t.snap->data;
  const uint64_t total = data.size();
  // An empty image still takes one (empty) chunk, to carry the metadata.
  bool first = t.sent == 0;
  while (t.sent - t.acked < options_.window_bytes && (t.sent < total || (first && total == 0))) {
    first = false;
    uint64_t n = std::min<uint64_t>(options_.chunk_bytes, total - t.sent);
    raft::Message m;
    m.type = raft::MessageType::kSnapshot;
    m.to = peer;
    m.term = t.term;
    m.snapshot = raft::Snapshot{t.snap->meta, data.substr(t.sent, n)};
    m.context = encode_chunk_header(
        ChunkHeader{ChunkHeader::Kind::kChunk, t.id, t.sent, total, t.checksum});
    t.sent += n;
    ++stats_.chunks_sent;
    stats_.bytes_sent += n;
    send_(std::move(m));
  }
}

void SnapshotSender::on_ack(const raft::Message& m, Clock::time_point now) {
  auto h = decode_chunk_header(m.context);
  auto it = transfers_.find(m.from);
  if (!h || it == transfers_.end() || it->second.id != h->transfer_id || !it->second.snap) return;
  Transfer& t = it->second;
  const uint64_t total = t.snap->data.size();
  if (h->offset > t.sent || h->offset > total) return;  // nonsense: ignore
  if (h->offset == total) {
    ++stats_.transfers_completed;  // the core's append response moves the follower on
    transfers_.erase(it);
    return;
  }
  if (h->offset == 0) {
    // The receiver does not know this transfer (it restarted, or missed the first chunk):
    // start over, unless we just did (the other chunks in flight are acked 0 too).
    if (t.acked == 0 && t.sent <= options_.window_bytes) return;
    ++stats_.restarts;
    t.acked = t.sent = 0;
    t.last_progress = now;
    pump(m.from, t);
    return;
  }
  if (h->offset <= t.acked) return;  // duplicate or reordered
  t.acked = h->offset;
  t.last_progress = now;
  pump(m.from, t);
}

void SnapshotSender::tick(Clock::time_point now) {
  for (auto& [peer, t] : transfers_) {
    if (now - t.last_progress < options_.ack_timeout) continue;
    t.last_progress = now;
    if (!t.snap) {
      load_(peer);
      continue;
    }
    ++stats_.resends;
    t.sent = t.acked;
    pump(peer, t);
  }
}

}  // namespace raftkv::server
