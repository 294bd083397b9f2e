// The server's side of /metrics, /health and /ready: gathers a NodeSample from the same
// sources INFO reads, on the io thread where they live; metrics_exposition.cc renders it.
#include "net/peer_transport.h"
#include "server/heap_stats.h"
#include "server/metrics_exposition.h"
#include "server/server.h"
#include "storage/durable_storage.h"

namespace raftkv::server {

std::string Server::open_metrics() {
  if (!options_.listen_metrics) return "";
  metrics_http_ = std::make_unique<HttpEndpoint>(io_, [this](const std::string& target) {
    return answer_metrics_request(target, [this] {
      note_leader(driver_->leader());
      return metrics_sample();
    });
  });
  return metrics_http_->listen(*options_.listen_metrics);
}

void Server::note_leader(raft::NodeId leader) {
  if (leader != last_leader_ && leader != raft::kNoNode) ++stats_.leader_changes;
  last_leader_ = leader;
}

NodeSample Server::metrics_sample() const {
  NodeSample s;
  const raft::Status st = driver_->status();
  s.id = st.id;
  s.leader = st.leader;
  s.is_leader = st.role == raft::Role::kLeader;
  s.term = st.term;
  s.commit = st.commit;
  s.applied = st.applied;
  s.leader_changes = stats_.leader_changes;
  s.proposals_pending = driver_->pending_writes();
  s.proposals_failed = stats_.proposals_failed;
  s.storage_failed = driver_->failed();
  const storage::WalStats& wal = storage_->wal_stats();
  s.wal_write = wal.write.snapshot();
  s.wal_fsync = wal.fsync.snapshot();
  s.wal_bytes_written = wal.bytes_written.load(std::memory_order_relaxed);
  const raft::Index first = storage_->first_index(), last = storage_->last_index();
  s.log_entries = last >= first ? last - first + 1 : 0;
  s.log_bytes_since_snapshot = bytes_since_snapshot_;
  s.snapshots = {
      snapshot_stats_.taken,     snapshot_stats_.failed,
      snapshot_stats_.installed, static_cast<double>(snapshot_stats_.last_duration_ms) / 1000.0,
      last_image_bytes_,         snapshot_stats_.last_index};
  s.keys = machine_.key_count();
  s.expiring_keys = machine_.expiring_key_count();
  s.resident_bytes = resident_bytes();
  s.heap_bytes = heap_used_bytes();
  if (s.heap_bytes == 0) s.heap_bytes = s.resident_bytes;  // as INFO memory does
  s.connected_clients = stats_.connected_clients;
  s.total_connections = stats_.total_connections;
  if (transport_) {  // gone once shutdown began
    for (const net::PeerStats& p : transport_->stats().peers) {
      PeerSample peer{p.id,
                      p.state == net::ConnectionState::kConnected,
                      p.sent.bytes_sent,
                      p.received.bytes_received,
                      p.sent.messages_dropped,
                      std::nullopt};
      if (s.is_leader) {
        const auto& progress = st.progress;
        if (auto it = progress.find(p.id); it != progress.end()) {
          peer.lag = st.last_index > it->second.match ? st.last_index - it->second.match : 0;
        }
      }
      s.peers.push_back(std::move(peer));
    }
  }
  s.commands = &stats_.commands;
  return s;
}

}  // namespace raftkv::server
