#include "raft/progress.h"

#include <algorithm>

namespace raftkv::raft {

const char* to_string(ProgressState s) {
  switch (s) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "?";
}

void Progress::become_probe() {
  // Coming out of a snapshot, the follower has at least the snapshot's entries.
  if (state == ProgressState::kSnapshot) {
    next = std::max(match + 1, pending_snapshot + 1);
  } else {
    next = match + 1;
  }
  state = ProgressState::kProbe;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.reset();
}

void Progress::become_replicate() {
  state = ProgressState::kReplicate;
  next = match + 1;
  probe_sent = false;
  pending_snapshot = 0;
  inflights.reset();
}

void Progress::become_snapshot(Index snapshot_index) {
  state = ProgressState::kSnapshot;
  pending_snapshot = snapshot_index;
  snapshot_heartbeats = 0;
  probe_sent = false;
  inflights.reset();
}

bool Progress::maybe_update(Index n) {
  bool updated = false;
  if (match < n) {
    match = n;
    updated = true;
    probe_sent = false;
  }
  next = std::max(next, n + 1);
  return updated;
}

void Progress::sent_entries(Index last) {
  if (state == ProgressState::kReplicate) {
    next = last + 1;
    inflights.add(last);
  } else if (state == ProgressState::kProbe) {
    probe_sent = true;
  }
}

bool Progress::maybe_decrease_to(Index rejected, Index hint) {
  if (state == ProgressState::kReplicate) {
    // Only a rejection of something sent after the last acknowledgement is news.
    if (rejected <= match) return false;
    next = match + 1;
    return true;
  }
  // Probe: only the rejection of the index we actually probed is meaningful.
  if (next - 1 != rejected) return false;
  next = std::max<Index>(std::min(rejected, hint + 1), match + 1);
  probe_sent = false;
  return true;
}

bool Progress::is_paused() const {
  switch (state) {
    case ProgressState::kProbe:
      return probe_sent;
    case ProgressState::kReplicate:
      return inflights.full();
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

}  // namespace raftkv::raft
