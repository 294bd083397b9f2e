// The wire form of a snapshot moved in chunks between two servers. The Raft core still
// sends and receives one kSnapshot message holding the whole snapshot; the leader's server
// splits it (SnapshotSender) and the follower's server reassembles it (SnapshotReceiver)
// before stepping it into the core. Chunks and acknowledgements travel as kSnapshot
// messages (the transport's bulk lane) whose `context` starts with a stream header, so the
// transport and the proto schema need nothing new; the core never sees them.
//
//   chunk: kSnapshot, snapshot = {meta, data = bytes [offset, offset + n) of the image},
//          context = header{kChunk, transfer id, offset, total size, checksum of the image}
//   ack:   kSnapshot, no snapshot, context = header{kAck, transfer id, offset = bytes held
//          contiguously}; offset 0 for an unknown transfer asks the sender to start over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::server {

struct ChunkHeader {
  enum class Kind : uint8_t { kChunk = 1, kAck = 2 };
  Kind kind = Kind::kChunk;
  uint64_t transfer_id = 0;
  uint64_t offset = 0;
  uint64_t total = 0;     // chunks only
  uint32_t checksum = 0;  // chunks only: checksum32 of the whole image
  bool operator==(const ChunkHeader&) const = default;
};

std::string encode_chunk_header(const ChunkHeader& h);
std::optional<ChunkHeader> decode_chunk_header(std::string_view context);

// Is this a chunk or an acknowledgement rather than a message for the core?
bool is_snapshot_stream_message(const raft::Message& m);

// Where a transfer stands, on either side (INFO, progress logs): the peer at the other end,
// the snapshot's index, bytes done (acknowledged by, or received from, the peer) and the
// image's total (0 while the sender is still reading it from disk).
struct TransferProgress {
  raft::NodeId peer;
  raft::Index index;
  uint64_t done;
  uint64_t total;
};

}  // namespace raftkv::server
