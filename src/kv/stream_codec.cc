#include "kv/stream_codec.h"

#include <optional>
#include <string>
#include <utility>

namespace raftkv::kv {

namespace {

void write_id(const StreamId& id, ByteWriter* out) {
  out->varint(id.ms);
  out->varint(id.seq);
}

bool read_id(ByteReader* in, StreamId* id) {
  return in->varint(&id->ms) && in->varint(&id->seq);
}

// A count of items that each take at least one byte.
bool read_count(ByteReader* in, uint64_t* count) {
  return in->varint(count) && *count <= in->remaining();
}

void encode_group(const std::string& name, const StreamGroup& group, ByteWriter* out) {
  out->bytes(name);
  write_id(group.last_id, out);
  out->varint(static_cast<uint64_t>(group.entries_read) + 1);
  out->varint(group.consumers.size());
  for (const auto& [consumer, state] : group.consumers) {
    out->bytes(consumer);
    out->varint(state.seen_time);
  }
  out->varint(group.pel.size());
  for (const auto& [id, pending] : group.pel) {
    write_id(id, out);
    out->bytes(pending.consumer);
    out->varint(pending.delivery_time);
    out->varint(pending.delivery_count);
  }
}

bool decode_entries(ByteReader* in, Stream* stream, const StreamId& last) {
  uint64_t count = 0;
  if (!read_count(in, &count)) return false;
  std::optional<StreamId> previous;
  for (uint64_t i = 0; i < count; ++i) {
    StreamId id;
    uint64_t n = 0;
    if (!read_id(in, &id) || !read_count(in, &n) || n < 2 || n % 2 != 0) return false;
    if ((previous && !(*previous < id)) || id > last || id.is_zero()) return false;
    StreamFields fields;
    fields.reserve(n);
    for (uint64_t f = 0; f < n; ++f) {
      std::string_view bytes;
      if (!in->bytes(&bytes)) return false;
      fields.emplace_back(bytes);
    }
    stream->append(id, std::move(fields));
    previous = id;
  }
  return true;
}

bool decode_pending(ByteReader* in, StreamGroup* group) {
  uint64_t count = 0;
  if (!read_count(in, &count)) return false;
  std::optional<StreamId> previous;
  for (uint64_t i = 0; i < count; ++i) {
    StreamId id;
    std::string_view consumer;
    PendingEntry entry;
    if (!read_id(in, &id) || !in->bytes(&consumer) || !in->varint(&entry.delivery_time) ||
        !in->varint(&entry.delivery_count)) {
      return false;
    }
    if ((previous && !(*previous < id)) || !group->consumers.contains(consumer)) return false;
    group->assign_pending(id, consumer) =
        PendingEntry{std::string(consumer), entry.delivery_time, entry.delivery_count};
    previous = id;
  }
  return true;
}

bool decode_group(ByteReader* in, Stream* stream) {
  std::string_view name;
  StreamGroup group;
  uint64_t entries_read = 0, consumers = 0;
  if (!in->bytes(&name) || !read_id(in, &group.last_id) || !in->varint(&entries_read) ||
      !read_count(in, &consumers)) {
    return false;
  }
  group.entries_read = static_cast<int64_t>(entries_read - 1);
  if (group.entries_read < StreamGroup::kInvalidEntriesRead) return false;
  if (!stream->groups().empty() && !(stream->groups().rbegin()->first < name)) return false;
  for (uint64_t i = 0; i < consumers; ++i) {
    std::string_view consumer;
    uint64_t seen = 0;
    if (!in->bytes(&consumer) || !in->varint(&seen)) return false;
    if (!group.consumers.empty() && !(group.consumers.rbegin()->first < consumer)) return false;
    group.consumers.emplace_hint(group.consumers.end(), std::string(consumer),
                                 StreamConsumer{seen, {}});
  }
  if (!decode_pending(in, &group)) return false;
  stream->groups().emplace_hint(stream->groups().end(), std::string(name), std::move(group));
  return true;
}

}  // namespace

void encode_stream(const Stream& stream, ByteWriter* out) {
  write_id(stream.last_id(), out);
  write_id(stream.max_deleted_id(), out);
  out->varint(stream.entries_added());
  out->varint(stream.size());
  for (const auto& [id, fields] : stream.entries()) {
    write_id(id, out);
    out->varint(fields.size());
    for (const auto& field : fields) out->bytes(field);
  }
  out->varint(stream.groups().size());
  for (const auto& [name, group] : stream.groups()) encode_group(name, group, out);
}

std::unique_ptr<Stream> decode_stream(ByteReader* in) {
  StreamId last, max_deleted;
  uint64_t added = 0, groups = 0;
  if (!read_id(in, &last) || !read_id(in, &max_deleted) || !in->varint(&added)) return nullptr;
  auto stream = std::make_unique<Stream>();
  if (!decode_entries(in, stream.get(), last)) return nullptr;
  if (added < stream->size()) return nullptr;
  stream->restore_counters(last, max_deleted, added);
  if (!read_count(in, &groups)) return nullptr;
  for (uint64_t i = 0; i < groups; ++i) {
    if (!decode_group(in, stream.get())) return nullptr;
  }
  return stream;
}

}  // namespace raftkv::kv
