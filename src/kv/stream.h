// A Redis stream: entries ordered by ID, each a list of field-value pairs, plus the
// consumer groups with their pending-entries lists (PEL) and consumers.
//
// Entries live in an ordered map (no radix tree or listpacks): every operation the
// commands need is a lookup, an in-order walk from a bound, or removal from the head.
// Groups and consumers are kept in name byte order, which is the order Redis's radix trees
// give them in XINFO, and every container's order depends only on its contents, so
// snapshots and digests are canonical.
//
// Times (delivery times, consumers' seen times) are log time for writes (WriteContext), so
// every replica stores the same values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raftkv::kv {

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;

  auto operator<=>(const StreamId&) const = default;
  static constexpr StreamId max() { return {UINT64_MAX, UINT64_MAX}; }
  bool is_zero() const { return ms == 0 && seq == 0; }
  std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }
  // The next / previous ID; false (and the ID unchanged) at the ends of the ID space.
  bool increment();
  bool decrement();
};

// Redis's ID syntax (streamGenericParseIDOrReply): "ms-seq", or "ms" with `missing_seq`
// as the sequence; "-" and "+" unless `strict`; "ms-*" only when `seq_given` is not null
// (then *seq_given tells whether the sequence was given). Numbers as strtoull takes them.
std::optional<StreamId> parse_stream_id(std::string_view text, bool strict, uint64_t missing_seq,
                                        bool* seq_given = nullptr);

// Every text as a strict ID (XDEL's and XACK's lists), or nullopt if any is not one: those
// commands change nothing unless all their IDs parse.
std::optional<std::vector<StreamId>> parse_stream_ids(std::span<const std::string> texts);

inline constexpr std::string_view kInvalidStreamId =
    "ERR Invalid stream ID specified as stream command argument";

using StreamFields = std::vector<std::string>;  // field, value, field, value, ...

// One pending entry: delivered to `consumer` and not yet acknowledged.
struct PendingEntry {
  std::string consumer;
  uint64_t delivery_time = 0;  // log time (ms) of the last delivery
  uint64_t delivery_count = 0;
};

struct StreamConsumer {
  uint64_t seen_time = 0;      // log time of its last read or claim
  std::set<StreamId> pending;  // its part of the group's PEL
};

struct StreamGroup {
  // No entries-read counter known (Redis's SCG_INVALID_ENTRIES_READ).
  static constexpr int64_t kInvalidEntriesRead = -1;

  StreamId last_id;
  int64_t entries_read = kInvalidEntriesRead;
  std::map<StreamId, PendingEntry> pel;
  std::map<std::string, StreamConsumer, std::less<>> consumers;

  // The consumer, created with seen time `now` if missing; its seen time is set to `now`.
  StreamConsumer& touch_consumer(std::string_view name, uint64_t now);
  // Removes `id` from the PEL and its consumer's list; false if it was not pending.
  bool remove_pending(const StreamId& id);
  // Gives pending entry `id` to `consumer` (which must exist), creating the entry if new.
  PendingEntry& assign_pending(const StreamId& id, std::string_view consumer);
};

class Stream {
 public:
  using Entries = std::map<StreamId, StreamFields>;

  // A stream key stays when its last entry goes (XDEL, XTRIM, XADD MAXLEN 0), as in Redis.
  size_t size() const { return entries_.size(); }
  const Entries& entries() const { return entries_; }

  const StreamId& last_id() const { return last_id_; }
  const StreamId& max_deleted_id() const { return max_deleted_; }
  uint64_t entries_added() const { return entries_added_; }
  // Redis's recorded first entry ID: the first entry's, or 0-0 when there is none.
  StreamId first_id() const { return entries_.empty() ? StreamId{} : entries_.begin()->first; }

  // Appends an entry with an ID greater than last_id().
  void append(const StreamId& id, StreamFields fields);
  // XDEL of one ID; false if absent.
  bool erase(const StreamId& id);
  // XTRIM/XADD trimming; `limit` 0 = none. Approximate trimming removes only whole blocks
  // of kBlockEntries from the head (Redis removes whole radix-tree nodes). Returns the
  // number removed.
  uint64_t trim_to_length(uint64_t max_len, bool approximate, uint64_t limit);
  uint64_t trim_before(const StreamId& min_id, bool approximate, uint64_t limit);

  // Redis's streamEstimateDistanceFromFirstEverEntry and streamRangeHasTombstones, for
  // groups' entries-read counters and lag.
  int64_t estimate_entries_read(const StreamId& id) const;
  bool has_tombstones_from(const StreamId& start) const;
  // XINFO's lag of a group; nothing when unknown (a nil reply).
  std::optional<int64_t> lag(const StreamGroup& group) const;
  // Delivering entry `id` to `group` moves its last ID and entries-read counter.
  void advance_group(StreamGroup& group, const StreamId& id) const;

  std::map<std::string, StreamGroup, std::less<>>& groups() { return groups_; }
  const std::map<std::string, StreamGroup, std::less<>>& groups() const { return groups_; }
  StreamGroup* find_group(std::string_view name);
  const StreamGroup* find_group(std::string_view name) const;

  // Restoring a snapshot: the counters exactly as they were.
  void restore_counters(const StreamId& last, const StreamId& max_deleted, uint64_t added) {
    last_id_ = last;
    max_deleted_ = max_deleted;
    entries_added_ = added;
  }
  void set_last_id(const StreamId& id) { last_id_ = id; }

  // Entries per block for approximate trimming and XINFO's radix-tree-keys (Redis's
  // stream-node-max-entries default).
  static constexpr uint64_t kBlockEntries = 100;

 private:
  // Removes the first `count` entries, at most `limit` (0: no limit), and when approximate
  // only whole blocks.
  uint64_t trim_front(uint64_t count, bool approximate, uint64_t limit);

  Entries entries_;
  StreamId last_id_;
  StreamId max_deleted_;
  uint64_t entries_added_ = 0;
  std::map<std::string, StreamGroup, std::less<>> groups_;
};

}  // namespace raftkv::kv
