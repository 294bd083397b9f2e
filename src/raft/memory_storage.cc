#include <algorithm>

#include "raftkv/raft/storage.h"

namespace raftkv::raft {

const char* to_string(StorageError e) {
  switch (e) {
    case StorageError::kCompacted:
      return "compacted";
    case StorageError::kUnavailable:
      return "unavailable";
  }
  return "?";
}

MemoryStorage::MemoryStorage() : entries_(1) {}

InitialState MemoryStorage::initial_state() const {
  return {hard_state_, conf_};
}

Index MemoryStorage::first_index() const {
  return entries_.front().index + 1;
}

Index MemoryStorage::last_index() const {
  return entries_.front().index + entries_.size() - 1;
}

Snapshot MemoryStorage::snapshot() const {
  return snapshot_;
}

StorageResult<Term> MemoryStorage::term(Index i) const {
  Index offset = entries_.front().index;
  if (i < offset) return StorageError::kCompacted;
  if (i - offset >= entries_.size()) return StorageError::kUnavailable;
  return entries_[i - offset].term;
}

StorageResult<std::vector<Entry>> MemoryStorage::entries(Index lo, Index hi,
                                                         uint64_t max_bytes) const {
  Index offset = entries_.front().index;
  if (lo <= offset) return StorageError::kCompacted;
  if (hi > last_index() + 1) return StorageError::kUnavailable;
  std::vector<Entry> out;
  uint64_t size = 0;
  for (Index i = lo; i < hi; ++i) {
    const Entry& e = entries_[i - offset];
    if (!out.empty() && size + entry_size(e) > max_bytes) break;
    size += entry_size(e);
    out.push_back(e);
  }
  return out;
}

void MemoryStorage::append(const std::vector<Entry>& entries) {
  append(std::vector<Entry>(entries));
}

void MemoryStorage::append(std::vector<Entry>&& entries) {
  if (entries.empty()) return;
  Index first = first_index();
  auto begin = entries.begin();
  if (entries.back().index < first) return;
  if (begin->index < first) begin += static_cast<long>(first - begin->index);
  Index offset = entries_.front().index;
  entries_.resize(begin->index - offset);  // drop everything at or after the new entries
  entries_.insert(entries_.end(), std::make_move_iterator(begin),
                  std::make_move_iterator(entries.end()));
}

void MemoryStorage::apply_snapshot(Snapshot snap) {
  entries_.assign(1, Entry{snap.meta.term, snap.meta.index, EntryType::kNormal, {}});
  conf_ = snap.meta.conf;
  if (hard_state_.commit < snap.meta.index) hard_state_.commit = snap.meta.index;
  snapshot_ = std::move(snap);
}

std::optional<StorageError> MemoryStorage::compact(Index index, const ConfState& conf,
                                                   std::string data, std::deque<Entry>* removed) {
  Index offset = entries_.front().index;
  if (index <= offset) return StorageError::kCompacted;
  if (index > last_index()) return StorageError::kUnavailable;
  Term t = entries_[index - offset].term;
  const auto cut = entries_.begin() + static_cast<long>(index - offset);
  if (removed == nullptr) {
    entries_.erase(entries_.begin(), cut);
  } else {
    // Move the kept tail (the entry at `index` becomes the sentinel) into a new deque and
    // hand the old one, with everything before it, to the caller.
    std::deque<Entry> kept(std::make_move_iterator(cut), std::make_move_iterator(entries_.end()));
    const auto keep_count = static_cast<long>(kept.size());
    entries_.swap(kept);
    kept.erase(kept.end() - keep_count, kept.end());  // the moved-from shells
    *removed = std::move(kept);
  }
  entries_.front().data.clear();
  // initial_state().conf is the configuration as of first_index() - 1: now the snapshot's.
  // (Configuration entries up to `index` are gone, so nothing else could tell a restarting
  // node that, say, a member was removed.)
  conf_ = conf;
  snapshot_ = Snapshot{SnapshotMeta{index, t, conf}, std::move(data)};
  return std::nullopt;
}

}  // namespace raftkv::raft
