#include "server/snapshot_receiver.h"

#include "storage/checksum.h"

namespace raftkv::server {

void SnapshotReceiver::ack(const raft::Message& chunk, uint64_t id, uint64_t offset) {
  raft::Message a;
  a.type = raft::MessageType::kSnapshot;
  a.from = self_;
  a.to = chunk.from;
  a.term = chunk.term;
  a.context = encode_chunk_header(ChunkHeader{ChunkHeader::Kind::kAck, id, offset, 0, 0});
  send_(std::move(a));
}

std::optional<raft::Message> SnapshotReceiver::on_chunk(const raft::Message& m) {
  auto h = decode_chunk_header(m.context);
  if (!h || h->kind != ChunkHeader::Kind::kChunk || !m.snapshot) return std::nullopt;
  ++stats_.chunks_received;
  auto it = partial_.find(m.from);
  if (it == partial_.end() || it->second.id != h->transfer_id) {
    if (h->offset != 0) {
      ack(m, h->transfer_id, 0);  // unknown transfer (we restarted?): start over
      return std::nullopt;
    }
    if (h->total > max_bytes_) {
      ++stats_.refused;
      partial_.erase(m.from);
      return std::nullopt;  // never acknowledged: the sender keeps retrying, visibly
    }
    Partial p;
    p.id = h->transfer_id;
    p.term = m.term;
    p.meta = m.snapshot->meta;
    p.total = h->total;
    p.checksum = h->checksum;
    p.data.reserve(h->total);
    it = partial_.insert_or_assign(m.from, std::move(p)).first;
  }
  Partial& p = it->second;
  const std::string& bytes = m.snapshot->data;
  if (h->offset == p.data.size() && p.data.size() + bytes.size() <= p.total) {
    p.data += bytes;
  }  // else a duplicate or a gap: the ack below tells the sender where we are
  const uint64_t held = p.data.size();
  const uint64_t id = p.id;
  if (held < p.total) {
    ack(m, id, held);
    return std::nullopt;
  }
  Partial done = std::move(p);
  partial_.erase(it);
  if (storage::checksum32(done.data) != done.checksum) {
    ++stats_.checksum_failures;
    ack(m, id, 0);
    return std::nullopt;
  }
  ack(m, id, held);
  ++stats_.transfers_completed;
  raft::Message full;
  full.type = raft::MessageType::kSnapshot;
  full.from = m.from;
  full.to = self_;
  full.term = done.term;
  full.snapshot = raft::Snapshot{done.meta, std::move(done.data)};
  return full;
}

}  // namespace raftkv::server
