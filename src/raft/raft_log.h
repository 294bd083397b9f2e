// The node's view of its log: the stable part in Storage plus an unstable tail (and possibly
// an incoming snapshot) that the caller has not yet persisted.
#pragma once

#include <algorithm>
#include <optional>
#include <vector>

#include "raftkv/raft/storage.h"
#include "raftkv/raft/types.h"

namespace raftkv::raft {

class RaftLog {
 public:
  RaftLog(Storage* storage, uint64_t max_committed_size);

  Index first_index() const;
  Index last_index() const;
  Term last_term() const;
  // Term of entry i, or nothing if i is compacted or beyond the log. term(0) == 0.
  std::optional<Term> term(Index i) const;
  bool match_term(Index i, Term t) const;
  // The election restriction: is a log ending at (index, term) at least as up to date?
  bool is_up_to_date(Index index, Term term) const;

  // Follower side of AppendEntries. If the entry at prev_index has prev_term, appends the
  // new entries — truncating only from the first entry that conflicts — and returns the
  // index of the last entry the message covered. Otherwise returns nothing.
  // `truncate_matching` is an injected bug for the simulator (always false in production).
  // `leader_term` is the term of the leader that sent them (see accepted_term()).
  std::optional<Index> maybe_append(Index prev_index, Term prev_term,
                                    const std::vector<Entry>& entries, Term leader_term,
                                    bool truncate_matching = false);
  // Leader side: append entries of its own term at the end of the log; returns the new
  // last index.
  Index append(const std::vector<Entry>& entries);
  // The same for one entry, moved in: a proposal's payload is not copied on the way.
  Index append(Entry&& entry);

  // The term of the leader whose entries last changed this log (appended or overwrote).
  // After such a change the whole log is a prefix of that leader's log, and that leader
  // only ever extends it, so while accepted_term() stays the same no index at or below
  // last_index() is rewritten. That is what makes a persisted batch's (index, term) check
  // sound: without it, an index overwritten by a newer leader and then re-appended with
  // its original entry (A -> B -> A) would look persisted when only A's first copy was
  // written and B's overwrote it (etcd's raft guards the same with its LogMark).
  Term accepted_term() const { return accepted_term_; }

  // First entry in `entries` whose term differs from ours at that index (or that we do not
  // have), 0 if all match.
  Index find_conflict(const std::vector<Entry>& entries) const;
  // Largest i <= index whose term is <= term (the conflict hint search, used by both the
  // rejecting follower and the leader that reads the hint).
  Index find_conflict_by_term(Index index, Term term) const;

  // Entries in [lo, hi) up to max_bytes (at least one). Fails with kCompacted when lo is
  // below the first index.
  StorageResult<std::vector<Entry>> slice(Index lo, Index hi, uint64_t max_bytes) const;

  Index committed() const { return committed_; }
  Index applied() const { return applied_; }
  // Advances commit to max_index if that entry has `term`; never moves backwards.
  bool maybe_commit(Index max_index, Term term);
  void commit_to(Index index);
  void applied_to(Index index);

  // Unstable tail: not yet known to be durable.
  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snapshot_; }
  // The part of the unstable tail not yet handed to the caller to persist. Several batches
  // may be on their way to disk at once (Node::ready before the previous advance); each
  // hands out only what the earlier ones did not, and an overwrite by a new leader makes
  // the overwritten part due again.
  std::vector<Entry> entries_to_persist() const;
  bool has_entries_to_persist() const { return in_progress_ < unstable_offset_ + unstable_.size(); }
  std::optional<Snapshot> snapshot_to_persist() const;
  // Marks everything unstable as handed out.
  void accept_unstable();
  // The caller has persisted entries up to (index, term), handed out while accepted_term()
  // was `accepted_term`; ignored if the log has been changed by another leader since (the
  // entries are then due again, and a later batch marks them) / the snapshot at index.
  void stable_to(Index index, Term term, Term accepted_term);
  void stable_snapshot_to(Index index);
  // Last index that is durable locally; entries above it are not applied or counted.
  Index stable_last_index() const { return unstable_offset_ - 1; }

  // Committed, persisted entries not yet handed out for applying.
  bool has_next_committed_entries() const;
  std::vector<Entry> next_committed_entries() const;
  // Entries up to `index` have been handed out for applying (applied_to follows later).
  void accept_applying(Index index) { applying_ = std::max(applying_, index); }
  // Highest index handed out for applying: applied, or about to be.
  Index applying() const { return std::max(applied_, applying_); }

  // Replaces the log with a snapshot received from the leader of `leader_term`.
  void restore(Snapshot snapshot, Term leader_term);

 private:
  void truncate_and_append(const std::vector<Entry>& entries, Term leader_term);
  // Drops the unstable entries from `after` on (the next to append goes there) and records
  // an append by the leader of `leader_term`.
  void make_room(Index after, Term leader_term);

  Storage* storage_;
  uint64_t max_committed_size_;
  std::optional<Snapshot> unstable_snapshot_;
  std::vector<Entry> unstable_;  // unstable_[i].index == unstable_offset_ + i
  Index unstable_offset_;
  Index in_progress_;                  // unstable entries below it are on their way to disk
  bool snapshot_in_progress_ = false;  // unstable_snapshot_ is on its way to disk
  Term accepted_term_ = 0;
  Index committed_ = 0;
  Index applied_ = 0;
  Index applying_ = 0;
};

}  // namespace raftkv::raft
