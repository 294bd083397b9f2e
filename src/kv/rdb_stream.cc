#include "kv/rdb_stream.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

// Entry flags in a stream listpack (t_stream.c).
constexpr int64_t kFlagDeleted = 1;
constexpr int64_t kFlagSameFields = 2;
constexpr size_t kRawIdSize = 16;  // big-endian ms, then seq

std::string raw_id(const StreamId& id) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(id.ms >> shift));
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(id.seq >> shift));
  return out;
}

StreamId id_of_raw(std::string_view raw) {
  StreamId id;
  for (size_t i = 0; i < 8; ++i) id.ms = (id.ms << 8) | static_cast<uint8_t>(raw[i]);
  for (size_t i = 8; i < 16; ++i) id.seq = (id.seq << 8) | static_cast<uint8_t>(raw[i]);
  return id;
}

// One listpack node: the master entry (its fields are the first entry's), then the entries.
std::string encode_node(Stream::Entries::const_iterator begin, Stream::Entries::const_iterator end,
                        size_t count) {
  const StreamId master = begin->first;
  std::vector<std::string_view> master_fields;
  for (size_t i = 0; i < begin->second.size(); i += 2) master_fields.push_back(begin->second[i]);
  ListpackWriter lp;
  lp.append_int(static_cast<int64_t>(count));
  lp.append_int(0);  // deleted entries
  lp.append_int(static_cast<int64_t>(master_fields.size()));
  for (const std::string_view field : master_fields) lp.append(field);
  lp.append_int(0);  // the master entry's terminator
  for (auto it = begin; it != end; ++it) {
    const StreamFields& fields = it->second;
    bool same = fields.size() == 2 * master_fields.size();
    for (size_t i = 0; same && i < master_fields.size(); ++i)
      same = fields[2 * i] == master_fields[i];
    lp.append_int(same ? kFlagSameFields : 0);
    lp.append_int(static_cast<int64_t>(it->first.ms - master.ms));
    lp.append_int(static_cast<int64_t>(it->first.seq - master.seq));  // may wrap: so does Redis
    if (!same) lp.append_int(static_cast<int64_t>(fields.size() / 2));
    for (size_t i = same ? 1 : 0; i < fields.size(); i += same ? 2 : 1) lp.append(fields[i]);
    const size_t pairs = fields.size() / 2;
    lp.append_int(static_cast<int64_t>(same ? pairs + 3 : 2 * pairs + 4));  // lp-count
  }
  return lp.finish();
}

void encode_entries(const Stream& stream, RdbWriter* out) {
  const auto& entries = stream.entries();
  const size_t nodes = (entries.size() + Stream::kBlockEntries - 1) / Stream::kBlockEntries;
  out->length(nodes);
  auto it = entries.begin();
  while (it != entries.end()) {
    auto end = it;
    size_t count = 0;
    while (end != entries.end() && count < Stream::kBlockEntries) ++end, ++count;
    out->blob(raw_id(it->first));
    out->blob(encode_node(it, end, count));
    it = end;
  }
}

void encode_group(const std::string& name, const StreamGroup& group, RdbWriter* out) {
  out->string(name);
  out->length(group.last_id.ms);
  out->length(group.last_id.seq);
  out->length(static_cast<uint64_t>(group.entries_read));  // -1 (unknown) as 2^64 - 1
  out->length(group.pel.size());
  for (const auto& [id, pending] : group.pel) {
    out->raw(raw_id(id));
    out->fixed_le(8, pending.delivery_time);
    out->length(pending.delivery_count);
  }
  out->length(group.consumers.size());
  for (const auto& [consumer_name, consumer] : group.consumers) {
    out->string(consumer_name);
    out->fixed_le(8, consumer.seen_time);
    out->length(consumer.pending.size());
    for (const StreamId& id : consumer.pending) out->raw(raw_id(id));
  }
}

// Walks the elements of one node's listpack (integers as decimal text).
class NodeReader {
 public:
  explicit NodeReader(const std::vector<std::string>& elements) : elements_(elements) {}
  bool done() const { return pos_ == elements_.size(); }
  bool integer(int64_t* v) {
    if (pos_ >= elements_.size()) return false;
    const auto parsed = parse_int64(elements_[pos_++]);
    if (!parsed) return false;
    *v = *parsed;
    return true;
  }
  bool count(int64_t* v) { return integer(v) && *v >= 0 && static_cast<uint64_t>(*v) <= left(); }
  const std::string* next() { return pos_ < elements_.size() ? &elements_[pos_++] : nullptr; }
  size_t left() const { return elements_.size() - pos_; }

 private:
  const std::vector<std::string>& elements_;
  size_t pos_ = 0;
};

// One entry after the master entry; appends it unless it is flagged deleted.
bool decode_entry(NodeReader& in, const StreamId& master, const std::vector<std::string>& fields,
                  Stream* stream, int64_t* live, int64_t* deleted) {
  int64_t flags = 0, ms_diff = 0, seq_diff = 0, pairs = 0, lp_count = 0;
  if (!in.integer(&flags) || !in.integer(&ms_diff) || !in.integer(&seq_diff)) return false;
  const bool same = (flags & kFlagSameFields) != 0;
  if (same) {
    pairs = static_cast<int64_t>(fields.size());
  } else if (!in.count(&pairs)) {
    return false;
  }
  if (static_cast<uint64_t>(pairs) * (same ? 1 : 2) > in.left()) return false;
  StreamFields entry;
  for (int64_t i = 0; i < pairs; ++i) {
    if (same) entry.push_back(fields[static_cast<size_t>(i)]);
    entry.push_back(*in.next());
    if (!same) entry.push_back(*in.next());
  }
  if (!in.integer(&lp_count) || lp_count != (same ? pairs + 3 : 2 * pairs + 4)) return false;
  if ((flags & kFlagDeleted) != 0) return ++*deleted, true;
  const StreamId id{master.ms + static_cast<uint64_t>(ms_diff),
                    master.seq + static_cast<uint64_t>(seq_diff)};
  // IDs grow strictly through the nodes: the first one only has to be above 0-0.
  if (pairs == 0 || id <= stream->last_id()) return false;
  stream->append(id, std::move(entry));
  return ++*live, true;
}

bool decode_node(std::string_view key, std::string_view blob, Stream* stream) {
  const auto elements = key.size() == kRawIdSize ? parse_listpack(blob) : std::nullopt;
  if (!elements || elements->empty()) return false;
  NodeReader in(*elements);
  int64_t count = 0, deleted = 0, field_count = 0, terminator = -1;
  if (!in.integer(&count) || !in.integer(&deleted) || !in.count(&field_count)) return false;
  std::vector<std::string> fields;
  for (int64_t i = 0; i < field_count; ++i) fields.push_back(*in.next());
  if (!in.integer(&terminator) || terminator != 0) return false;
  const StreamId master = id_of_raw(key);
  int64_t live = 0, dead = 0;
  while (!in.done()) {
    if (!decode_entry(in, master, fields, stream, &live, &dead)) return false;
  }
  return live == count && dead == deleted;
}

bool stream_id(RdbReader& in, StreamId* id) {
  return in.length(&id->ms) && in.length(&id->seq);
}

bool decode_entries(RdbReader& in, bool v2, Stream* stream) {
  uint64_t nodes = 0, length = 0, added = 0;
  if (!in.count(&nodes, 2)) return false;
  for (uint64_t i = 0; i < nodes; ++i) {
    std::string key, blob;
    if (!in.string(&key) || !in.string(&blob) || !decode_node(key, blob, stream)) return false;
  }
  StreamId last, first, max_deleted;
  if (!in.length(&length) || !stream_id(in, &last)) return false;
  if (v2 && (!stream_id(in, &first) || !stream_id(in, &max_deleted) || !in.length(&added))) {
    return false;
  }
  if (length != stream->size() || last < stream->last_id()) return false;
  stream->restore_counters(last, max_deleted, v2 ? added : length);
  return true;
}

// The group's PEL; every entry must then be claimed by exactly one consumer.
bool decode_pel(RdbReader& in, StreamGroup* group) {
  uint64_t count = 0;
  if (!in.count(&count, kRawIdSize + 9)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view raw;
    PendingEntry pending;
    if (!in.raw(kRawIdSize, &raw) || !in.fixed_le(8, &pending.delivery_time) ||
        !in.length(&pending.delivery_count)) {
      return false;
    }
    if (!group->pel.emplace(id_of_raw(raw), std::move(pending)).second) return false;
  }
  return true;
}

bool decode_consumers(RdbReader& in, StreamGroup* group) {
  uint64_t count = 0;
  size_t claimed = 0;
  if (!in.count(&count, 10)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    StreamConsumer consumer;
    uint64_t pending = 0;
    if (!in.string(&name) || !in.fixed_le(8, &consumer.seen_time) ||
        !in.count(&pending, kRawIdSize) || group->consumers.contains(name)) {
      return false;
    }
    for (uint64_t j = 0; j < pending; ++j) {
      std::string_view raw;
      if (!in.raw(kRawIdSize, &raw)) return false;
      const StreamId id = id_of_raw(raw);
      const auto it = group->pel.find(id);
      if (it == group->pel.end() || !consumer.pending.insert(id).second) return false;
      it->second.consumer = name;
    }
    claimed += consumer.pending.size();
    group->consumers.emplace(std::move(name), std::move(consumer));
  }
  // Each PEL entry claimed once: the claims add up and no entry went to two consumers.
  size_t owners = 0;
  for (const auto& [cname, c] : group->consumers) {
    for (const StreamId& id : c.pending) owners += group->pel.at(id).consumer == cname ? 1 : 0;
  }
  return claimed == group->pel.size() && owners == claimed;
}

bool decode_groups(RdbReader& in, bool v2, Stream* stream) {
  uint64_t count = 0;
  if (!in.count(&count, 4)) return false;
  for (uint64_t i = 0; i < count; ++i) {
    std::string name;
    StreamGroup group;
    uint64_t entries_read = 0;
    if (!in.string(&name) || !stream_id(in, &group.last_id)) return false;
    if (v2 && !in.length(&entries_read)) return false;
    group.entries_read =
        v2 ? static_cast<int64_t>(entries_read) : stream->estimate_entries_read(group.last_id);
    if (!decode_pel(in, &group) || !decode_consumers(in, &group)) return false;
    if (!stream->groups().emplace(std::move(name), std::move(group)).second) return false;
  }
  return true;
}

}  // namespace

std::optional<Value> decode_rdb_stream(RdbReader* in, bool v2) {
  auto stream = std::make_unique<Stream>();
  if (!decode_entries(*in, v2, stream.get()) || !decode_groups(*in, v2, stream.get())) {
    return std::nullopt;
  }
  return Value(std::move(stream));
}

void encode_rdb_stream(const Stream& stream, RdbWriter* out) {
  encode_entries(stream, out);
  out->length(stream.size());
  out->length(stream.last_id().ms);
  out->length(stream.last_id().seq);
  out->length(stream.first_id().ms);
  out->length(stream.first_id().seq);
  out->length(stream.max_deleted_id().ms);
  out->length(stream.max_deleted_id().seq);
  out->length(stream.entries_added());
  out->length(stream.groups().size());
  for (const auto& [name, group] : stream.groups()) encode_group(name, group, out);
}

}  // namespace raftkv::kv
