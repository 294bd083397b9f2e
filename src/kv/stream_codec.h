// Canonical bytes of a stream, for snapshots and DEBUG DIGEST (value_codec.h's "stream"):
//
//   last_id, max_deleted_id, entries_added
//   entry_count, then entry_count x (id, n, n x bytes)      in ID order; n is even, >= 2
//   group_count, then group_count x                        in name order
//     (name, last_id, entries_read + 1,
//      consumer_count, consumer_count x (name, seen_time)  in name order
//      pending_count, pending_count x (id, consumer name, delivery_time, delivery_count)
//                                                          in ID order)
// An ID is two varints (ms, seq). A consumer's own pending list is not stored: it is
// rebuilt from the group's. Empty sections are allowed (a stream key may have no entries).
#pragma once

#include <memory>

#include "kv/byte_codec.h"
#include "kv/stream.h"

namespace raftkv::kv {

void encode_stream(const Stream& stream, ByteWriter* out);

// Nothing if the bytes are truncated, out of canonical order, repeated, or inconsistent
// (an entry ID above the last ID, a pending entry of an unknown consumer).
std::unique_ptr<Stream> decode_stream(ByteReader* in);

}  // namespace raftkv::kv
