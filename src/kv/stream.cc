#include "kv/stream.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "kv/int_parse.h"

namespace raftkv::kv {

namespace {

// Redis's string2ull: its strict integer syntax, else whatever strtoull accepts in full
// (leading spaces, '+', leading zeros), so that every ID Redis takes is taken here.
std::optional<uint64_t> parse_id_part(std::string_view text) {
  if (const auto strict = parse_int64(text)) {
    if (*strict < 0) return std::nullopt;
    return static_cast<uint64_t>(*strict);
  }
  if (text.empty()) return std::nullopt;
  const std::string copy(text);  // strtoull needs a terminator
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(copy.c_str(), &end, 10);
  if (errno == EINVAL || errno == ERANGE || end != copy.c_str() + copy.size()) return std::nullopt;
  return static_cast<uint64_t>(value);
}

}  // namespace

bool StreamId::increment() {
  if (seq != UINT64_MAX) {
    ++seq;
  } else if (ms != UINT64_MAX) {
    ++ms;
    seq = 0;
  } else {
    return false;
  }
  return true;
}

bool StreamId::decrement() {
  if (seq != 0) {
    --seq;
  } else if (ms != 0) {
    --ms;
    seq = UINT64_MAX;
  } else {
    return false;
  }
  return true;
}

std::optional<StreamId> parse_stream_id(std::string_view text, bool strict, uint64_t missing_seq,
                                        bool* seq_given) {
  if (text.size() > 127) return std::nullopt;  // Redis's buffer
  // A NUL ends the text for Redis's C string functions.
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) text = text.substr(0, nul);
  if (text == "-" || text == "+") {
    if (strict) return std::nullopt;
    if (seq_given != nullptr) *seq_given = true;
    return text == "-" ? StreamId{} : StreamId::max();
  }
  if (seq_given != nullptr) *seq_given = true;
  const size_t dash = text.find('-');
  const auto ms = parse_id_part(text.substr(0, dash));
  if (!ms) return std::nullopt;
  if (dash == std::string_view::npos) return StreamId{*ms, missing_seq};
  const std::string_view seq_text = text.substr(dash + 1);
  if (seq_given != nullptr && seq_text == "*") {
    *seq_given = false;
    return StreamId{*ms, 0};
  }
  const auto seq = parse_id_part(seq_text);
  if (!seq) return std::nullopt;
  return StreamId{*ms, *seq};
}

std::optional<std::vector<StreamId>> parse_stream_ids(std::span<const std::string> texts) {
  std::vector<StreamId> ids;
  ids.reserve(texts.size());
  for (const std::string& text : texts) {
    const auto id = parse_stream_id(text, true, 0);
    if (!id) return std::nullopt;
    ids.push_back(*id);
  }
  return ids;
}

StreamConsumer& StreamGroup::touch_consumer(std::string_view name, uint64_t now) {
  auto it = consumers.find(name);
  if (it == consumers.end()) it = consumers.emplace(std::string(name), StreamConsumer{}).first;
  it->second.seen_time = now;
  return it->second;
}

bool StreamGroup::remove_pending(const StreamId& id) {
  const auto it = pel.find(id);
  if (it == pel.end()) return false;
  if (auto owner = consumers.find(it->second.consumer); owner != consumers.end()) {
    owner->second.pending.erase(id);
  }
  pel.erase(it);
  return true;
}

PendingEntry& StreamGroup::assign_pending(const StreamId& id, std::string_view consumer) {
  auto [it, inserted] = pel.try_emplace(id);
  if (!inserted && it->second.consumer != consumer) {
    if (auto owner = consumers.find(it->second.consumer); owner != consumers.end()) {
      owner->second.pending.erase(id);
    }
  }
  it->second.consumer = std::string(consumer);
  consumers.find(consumer)->second.pending.insert(id);
  return it->second;
}

void Stream::append(const StreamId& id, StreamFields fields) {
  entries_.emplace_hint(entries_.end(), id, std::move(fields));
  last_id_ = id;
  ++entries_added_;
}

bool Stream::erase(const StreamId& id) {
  if (entries_.erase(id) == 0) return false;
  if (id > max_deleted_) max_deleted_ = id;
  return true;
}

uint64_t Stream::trim_front(uint64_t count, bool approximate, uint64_t limit) {
  if (limit != 0) count = std::min(count, limit);
  // Whole blocks only: full ones, or the last (partial) one when everything goes.
  if (approximate && count < entries_.size()) count -= count % kBlockEntries;
  auto end = entries_.begin();
  std::advance(end, static_cast<std::ptrdiff_t>(count));
  entries_.erase(entries_.begin(), end);
  return count;
}

uint64_t Stream::trim_to_length(uint64_t max_len, bool approximate, uint64_t limit) {
  if (entries_.size() <= max_len) return 0;
  return trim_front(entries_.size() - max_len, approximate, limit);
}

uint64_t Stream::trim_before(const StreamId& min_id, bool approximate, uint64_t limit) {
  uint64_t below = 0;
  for (auto it = entries_.begin(); it != entries_.end() && it->first < min_id; ++it) ++below;
  return trim_front(below, approximate, limit);
}

int64_t Stream::estimate_entries_read(const StreamId& id) const {
  if (entries_added_ == 0) return 0;
  const auto added = static_cast<int64_t>(entries_added_);
  if (entries_.empty() && id <= last_id_) return added;
  if (id == last_id_) return added;
  if (id > last_id_) return StreamGroup::kInvalidEntriesRead;
  const StreamId first = first_id();
  if (max_deleted_.is_zero() || max_deleted_ < first) {
    // No deleted entry among those present: the count before `first` is exact.
    if (id < first) return added - static_cast<int64_t>(entries_.size());
    if (id == first) return added - static_cast<int64_t>(entries_.size()) + 1;
  }
  return StreamGroup::kInvalidEntriesRead;
}

bool Stream::has_tombstones_from(const StreamId& start) const {
  if (entries_.empty() || max_deleted_.is_zero()) return false;
  if (first_id() > max_deleted_) return false;
  return start <= max_deleted_;
}

std::optional<int64_t> Stream::lag(const StreamGroup& group) const {
  if (entries_added_ == 0) return 0;
  const auto added = static_cast<int64_t>(entries_added_);
  if (group.entries_read != StreamGroup::kInvalidEntriesRead &&
      !has_tombstones_from(group.last_id)) {
    return added - group.entries_read;
  }
  const int64_t read = estimate_entries_read(group.last_id);
  if (read == StreamGroup::kInvalidEntriesRead) return std::nullopt;
  return added - read;
}

void Stream::advance_group(StreamGroup& group, const StreamId& id) const {
  if (id <= group.last_id) return;
  if (group.entries_read != StreamGroup::kInvalidEntriesRead && !has_tombstones_from(id)) {
    ++group.entries_read;
  } else if (entries_added_ != 0) {
    group.entries_read = estimate_entries_read(id);
  }
  group.last_id = id;
}

StreamGroup* Stream::find_group(std::string_view name) {
  const auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

const StreamGroup* Stream::find_group(std::string_view name) const {
  const auto it = groups_.find(name);
  return it == groups_.end() ? nullptr : &it->second;
}

}  // namespace raftkv::kv
