// What /metrics, /health and /ready say about one node. The server fills a NodeSample on
// its io thread at scrape time, from the same sources INFO reads (the Raft status, the
// transport's and storage's counters, ServerStats); this file turns it into Prometheus's
// text format (through prometheus-cpp's serializer) and into the two verdicts. Names
// follow etcd's (etcd_server_has_leader -> raftkv_server_has_leader, ...), so that
// dashboards and alerts written for etcd carry over.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "raft/types.h"
#include "server/command_counters.h"
#include "server/metrics_http.h"
#include "storage/wal_stats.h"

namespace raftkv::server {

struct PeerSample {
  raft::NodeId id = raft::kNoNode;
  bool connected = false;
  uint64_t sent_bytes = 0;
  uint64_t received_bytes = 0;
  uint64_t sent_failures = 0;  // messages dropped: a full queue or a failed write
  // On the leader: entries the peer is behind its last log index.
  std::optional<uint64_t> lag;
};

struct SnapshotSample {
  uint64_t taken = 0;
  uint64_t failed = 0;
  uint64_t installed = 0;
  double last_duration_seconds = 0;
  uint64_t last_size_bytes = 0;
  raft::Index last_index = 0;
};

struct NodeSample {
  raft::NodeId id = raft::kNoNode;
  raft::NodeId leader = raft::kNoNode;
  bool is_leader = false;
  uint64_t term = 0;
  uint64_t leader_changes = 0;
  raft::Index commit = 0;
  raft::Index applied = 0;
  uint64_t proposals_pending = 0;
  uint64_t proposals_failed = 0;
  bool storage_failed = false;
  storage::LatencyHistogram::Snapshot wal_write;
  storage::LatencyHistogram::Snapshot wal_fsync;
  uint64_t wal_bytes_written = 0;
  uint64_t log_entries = 0;               // in the log (in memory), not yet compacted
  uint64_t log_bytes_since_snapshot = 0;  // applied entries' bytes since the last snapshot
  SnapshotSample snapshots;
  uint64_t keys = 0;
  uint64_t expiring_keys = 0;
  uint64_t heap_bytes = 0;
  uint64_t resident_bytes = 0;
  uint64_t connected_clients = 0;
  uint64_t total_connections = 0;
  std::vector<PeerSample> peers;
  const CommandCounters* commands = nullptr;  // required
};

// The Prometheus text exposition (version 0.0.4) of `s`.
std::string render_metrics(const NodeSample& s);

struct Verdict {
  bool ok = false;
  std::string reason;  // why not, when !ok
};
// /health: this node knows a leader and its disk works.
Verdict health(const NodeSample& s);
// A node whose applied index trails its commit index by more than this is not ready.
inline constexpr uint64_t kReadyMaxApplyLag = 1000;
// /ready: healthy, and it has applied nearly everything it knows to be committed (a node
// replaying a long log after a restart is not ready yet).
Verdict readiness(const NodeSample& s);

// The answer to an HTTP GET of `target`: /metrics (the exposition), /health and /ready
// (200 or 503, with etcd's JSON body {"health":"true","reason":""}), else 404.
// `sample` is called once per request.
HttpResponse answer_metrics_request(const std::string& target,
                                    const std::function<NodeSample()>& sample);

}  // namespace raftkv::server
