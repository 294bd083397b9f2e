#include "raft/raft_log.h"

#include <algorithm>

#include "raft/check.h"

namespace raftkv::raft {

RaftLog::RaftLog(Storage* storage, uint64_t max_committed_size)
    : storage_(storage),
      max_committed_size_(max_committed_size),
      unstable_offset_(storage->last_index() + 1),
      in_progress_(unstable_offset_) {
  // Everything up to the first index is covered by a snapshot and therefore committed and
  // applied; the caller restores the state machine from that snapshot.
  committed_ = storage->first_index() - 1;
  applied_ = committed_;
}

Index RaftLog::first_index() const {
  if (unstable_snapshot_) return unstable_snapshot_->meta.index + 1;
  return storage_->first_index();
}

Index RaftLog::last_index() const {
  if (!unstable_.empty()) return unstable_.back().index;
  if (unstable_snapshot_) return unstable_snapshot_->meta.index;
  return storage_->last_index();
}

std::optional<Term> RaftLog::term(Index i) const {
  if (i == 0) return Term{0};
  if (unstable_snapshot_ && i == unstable_snapshot_->meta.index)
    return unstable_snapshot_->meta.term;
  if (i >= unstable_offset_) {
    Index k = i - unstable_offset_;
    if (k < unstable_.size()) return unstable_[k].term;
    return std::nullopt;
  }
  if (unstable_snapshot_) return std::nullopt;  // below a pending snapshot: gone
  auto t = storage_->term(i);
  if (!t) return std::nullopt;
  return *t;
}

Term RaftLog::last_term() const {
  return term(last_index()).value_or(0);
}

bool RaftLog::match_term(Index i, Term t) const {
  auto lt = term(i);
  return lt && *lt == t;
}

bool RaftLog::is_up_to_date(Index index, Term t) const {
  Term lt = last_term();
  return t > lt || (t == lt && index >= last_index());
}

Index RaftLog::find_conflict(const std::vector<Entry>& entries) const {
  for (const auto& e : entries) {
    if (!match_term(e.index, e.term)) return e.index;
  }
  return 0;
}

Index RaftLog::find_conflict_by_term(Index index, Term t) const {
  index = std::min(index, last_index());
  while (index > 0) {
    auto lt = term(index);
    if (!lt) break;  // compacted: the snapshot index is the best guess
    if (*lt <= t) return index;
    --index;
  }
  return index;
}

std::optional<Index> RaftLog::maybe_append(Index prev_index, Term prev_term,
                                           const std::vector<Entry>& entries, Term leader_term,
                                           bool truncate_matching) {
  if (!match_term(prev_index, prev_term)) return std::nullopt;
  Index last_new = prev_index + entries.size();
  if (truncate_matching && !entries.empty()) {
    // Injected bug: overwrite from the first new entry even when it matches, discarding
    // whatever followed (possibly committed entries from a newer message).
    truncate_and_append(entries, leader_term);
    return last_new;
  }
  Index conflict = find_conflict(entries);
  if (conflict != 0) {
    // Never truncate a committed entry: that would mean two leaders disagreed on it.
    RAFTKV_CHECK(conflict > committed_, "an append would truncate a committed entry");
    truncate_and_append(
        std::vector<Entry>(entries.begin() + static_cast<long>(conflict - entries.front().index),
                           entries.end()),
        leader_term);
  }
  return last_new;
}

Index RaftLog::append(const std::vector<Entry>& entries) {
  if (entries.empty()) return last_index();
  truncate_and_append(entries, entries.back().term);
  return last_index();
}

Index RaftLog::append(Entry&& entry) {
  make_room(entry.index, entry.term);
  unstable_.push_back(std::move(entry));
  return last_index();
}

void RaftLog::truncate_and_append(const std::vector<Entry>& entries, Term leader_term) {
  make_room(entries.front().index, leader_term);
  unstable_.insert(unstable_.end(), entries.begin(), entries.end());
}

void RaftLog::make_room(Index after, Term leader_term) {
  accepted_term_ = std::max(accepted_term_, leader_term);
  // Whatever is replaced must be persisted again, even if an earlier batch carried it.
  in_progress_ = std::min(in_progress_, after);
  if (after == unstable_offset_ + unstable_.size()) return;
  if (after <= unstable_offset_) {
    // Replaces part of the stable log too; the caller overwrites storage from `after`.
    unstable_offset_ = after;
    unstable_.clear();
  } else {
    unstable_.resize(after - unstable_offset_);
  }
}

StorageResult<std::vector<Entry>> RaftLog::slice(Index lo, Index hi, uint64_t max_bytes) const {
  if (lo < first_index()) return StorageError::kCompacted;
  if (hi > last_index() + 1) return StorageError::kUnavailable;
  std::vector<Entry> out;
  if (lo >= hi) return out;
  uint64_t size = 0;
  if (lo < unstable_offset_) {
    auto stored = storage_->entries(lo, std::min(hi, unstable_offset_), max_bytes);
    if (!stored) return stored.error();
    out = std::move(stored).value();
    for (const auto& e : out) size += entry_size(e);
    if (out.empty() || out.back().index + 1 < std::min(hi, unstable_offset_)) return out;
  }
  for (Index i = std::max(lo, unstable_offset_); i < hi; ++i) {
    const Entry& e = unstable_[i - unstable_offset_];
    if (!out.empty() && size + entry_size(e) > max_bytes) break;
    size += entry_size(e);
    out.push_back(e);
  }
  return out;
}

bool RaftLog::maybe_commit(Index max_index, Term t) {
  if (max_index > committed_ && term(max_index).value_or(0) == t) {
    commit_to(max_index);
    return true;
  }
  return false;
}

void RaftLog::commit_to(Index index) {
  if (index > committed_) {
    RAFTKV_CHECK(index <= last_index(), "commit index beyond the last log index");
    committed_ = index;
  }
}

void RaftLog::applied_to(Index index) {
  if (index == 0) return;
  RAFTKV_CHECK(index <= committed_, "applied beyond the commit index");
  RAFTKV_CHECK(index >= applied_, "the applied index moved backwards");
  applied_ = index;
}

void RaftLog::stable_to(Index index, Term t, Term accepted_term) {
  // Only if the entry is still the one that was persisted: a newer leader may have
  // overwritten it in the meantime, and then the new one still needs persisting. The term
  // at the index alone cannot tell (A -> B -> A): see accepted_term().
  if (accepted_term != accepted_term_) return;
  if (index < unstable_offset_) return;
  Index k = index - unstable_offset_;
  if (k >= unstable_.size() || unstable_[k].term != t) return;
  unstable_.erase(unstable_.begin(), unstable_.begin() + static_cast<long>(k + 1));
  unstable_offset_ = index + 1;
  in_progress_ = std::max(in_progress_, unstable_offset_);
}

void RaftLog::stable_snapshot_to(Index index) {
  if (unstable_snapshot_ && unstable_snapshot_->meta.index == index) {
    unstable_snapshot_.reset();
    snapshot_in_progress_ = false;
  }
}

std::vector<Entry> RaftLog::entries_to_persist() const {
  if (!has_entries_to_persist()) return {};
  return std::vector<Entry>(unstable_.begin() + static_cast<long>(in_progress_ - unstable_offset_),
                            unstable_.end());
}

std::optional<Snapshot> RaftLog::snapshot_to_persist() const {
  if (snapshot_in_progress_) return std::nullopt;
  return unstable_snapshot_;
}

void RaftLog::accept_unstable() {
  in_progress_ = unstable_offset_ + unstable_.size();
  snapshot_in_progress_ = unstable_snapshot_.has_value();
}

bool RaftLog::has_next_committed_entries() const {
  Index lo = std::max(applying() + 1, first_index());
  Index hi = std::min(committed_, stable_last_index());
  return lo <= hi && !unstable_snapshot_;
}

std::vector<Entry> RaftLog::next_committed_entries() const {
  if (!has_next_committed_entries()) return {};
  Index lo = std::max(applying() + 1, first_index());
  Index hi = std::min(committed_, stable_last_index()) + 1;
  auto r = slice(lo, hi, max_committed_size_);
  // Committed entries that cannot be read cannot be applied, and skipping them would
  // leave this replica's state behind the others' for good.
  RAFTKV_CHECK(r.ok(), "cannot read committed entries from storage to apply them");
  return std::move(r).value();
}

void RaftLog::restore(Snapshot snapshot, Term leader_term) {
  accepted_term_ = std::max(accepted_term_, leader_term);
  committed_ = snapshot.meta.index;
  unstable_offset_ = snapshot.meta.index + 1;
  in_progress_ = unstable_offset_;
  unstable_.clear();
  unstable_snapshot_ = std::move(snapshot);
  snapshot_in_progress_ = false;
}

}  // namespace raftkv::raft
