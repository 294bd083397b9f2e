// When the server takes a snapshot: a pure function of the options and what was applied
// since the last one, so the rule is unit-tested apart from the server.
#pragma once

#include <algorithm>
#include <cstdint>

#include "server/options.h"

namespace raftkv::server {

struct SnapshotProgress {
  uint64_t entries_since = 0;     // entries applied since the last snapshot
  uint64_t bytes_since = 0;       // their bytes
  uint64_t last_image_bytes = 0;  // size of the last snapshot image (0: none yet)
};

// True once `snapshot_entries` entries, or enough bytes, were applied since the last
// snapshot (see ServerServerOptions::snapshot_bytes for why the bytes threshold grows with the
// image).
inline bool snapshot_due(const ServerOptions& o, const SnapshotProgress& p) {
  if (o.snapshot_entries > 0 && p.entries_since >= o.snapshot_entries) return true;
  if (o.snapshot_bytes == 0) return false;
  const uint64_t grown = p.last_image_bytes / 100 * o.snapshot_growth_percent;
  return p.bytes_since >= std::max(o.snapshot_bytes, grown);
}

}  // namespace raftkv::server
