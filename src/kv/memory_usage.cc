#include "kv/memory_usage.h"

#include <string>

namespace raftkv::kv {
namespace {

// What a std::string holds beyond itself: nothing while it fits in its inline buffer.
uint64_t heap_bytes(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}
uint64_t heap_bytes(std::string_view s) {
  return s.size() > 15 ? s.size() + 1 : 0;
}

constexpr uint64_t kTreeNodeHeader = 32;     // std::map / std::set node: links and colour
constexpr uint64_t kIndexSlot = 16 * 4 / 3;  // FlatIndex slot at its 3/4 load bound

// Sums `per_element` over the first `samples` elements (all when 0) and scales to the
// whole collection.
template <typename Range, typename PerElement>
uint64_t sampled(const Range& range, uint64_t samples, PerElement per_element) {
  uint64_t total = 0, seen = 0;
  for (const auto& element : range) {
    if (samples != 0 && seen == samples) break;
    total += per_element(element);
    ++seen;
  }
  const uint64_t size = range.size();
  return seen == 0 ? 0 : total * size / seen;
}

// A stream: its entries (sampled), and all of its groups' consumers and pending entries
// (a PEL entry is a node in the group's map and one in its consumer's set).
uint64_t stream_bytes(const Stream& stream, uint64_t samples) {
  uint64_t bytes = sizeof(Stream) + sampled(stream.entries(), samples, [](const auto& entry) {
                     uint64_t fields = kTreeNodeHeader + sizeof(entry) +
                                       entry.second.capacity() * sizeof(std::string);
                     for (const auto& field : entry.second) fields += heap_bytes(field);
                     return fields;
                   });
  for (const auto& [name, group] : stream.groups()) {
    bytes += kTreeNodeHeader + sizeof(std::string) + sizeof(StreamGroup) + heap_bytes(name);
    for (const auto& [consumer, state] : group.consumers) {
      bytes +=
          kTreeNodeHeader + sizeof(std::string) + sizeof(StreamConsumer) + heap_bytes(consumer);
    }
    for (const auto& [id, pending] : group.pel) {
      bytes += 2 * kTreeNodeHeader + sizeof(StreamId) * 2 + sizeof(PendingEntry) +
               heap_bytes(pending.consumer);
    }
  }
  return bytes;
}

uint64_t collection_bytes(const Value& value, uint64_t samples) {
  if (const auto* hash = collection_of<HashValue>(&value)) {
    // A list node per field and an index node (next link, name view, entry, hash) plus
    // its bucket.
    constexpr uint64_t kListNodeHeader = 16;
    constexpr uint64_t kHashIndexEntry = 48;
    return sizeof(HashValue) + sampled(*hash, samples, [](const auto& field) {
             return kListNodeHeader + sizeof(field) + kHashIndexEntry + heap_bytes(field.first) +
                    heap_bytes(field.second);
           });
  }
  if (const auto* list = collection_of<ListValue>(&value)) {
    return sizeof(ListValue) + sampled(*list, samples, [](const std::string& item) {
             return sizeof(std::string) + heap_bytes(item);
           });
  }
  if (const auto* set = collection_of<SetValue>(&value)) {
    return sizeof(SetValue) + sampled(*set, samples, [](const HashedKey& member) {
             return kTreeNodeHeader + sizeof(HashedKey) + heap_bytes(member.name);
           });
  }
  if (const auto* zset = collection_of<SortedSet>(&value)) {
    // Each member is held twice: by member (with its score) and by (score, member).
    return sizeof(SortedSet) + sampled(zset->by_score(), samples, [](const auto& entry) {
             return 2 * (kTreeNodeHeader + sizeof(std::string) + sizeof(double) +
                         heap_bytes(entry.member));
           });
  }
  if (const auto* stream = collection_of<Stream>(&value)) return stream_bytes(*stream, samples);
  return 0;
}

}  // namespace

uint64_t approximate_memory_usage(std::string_view key, const Value& value, uint64_t samples) {
  uint64_t bytes =
      kTreeNodeHeader + sizeof(HashedKey) + sizeof(Value) + kIndexSlot + heap_bytes(key);
  if (const auto* s = std::get_if<StringValue>(&value)) return bytes + heap_bytes(*s);
  return bytes + collection_bytes(value, samples);
}

}  // namespace raftkv::kv
