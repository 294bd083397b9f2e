// Everything `raftkv serve` is configured with, parsed from flags or a config file with
// the same keys, and validated before anything starts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_address.h"
#include "net/peer_auth.h"
#include "net/tls_context.h"
#include "raft/types.h"
#include "server/client_limits.h"
#include "server/slow_log.h"

namespace raftkv::server {

struct ServerOptions {
  raft::NodeId id = raft::kNoNode;
  std::string data_dir;
  // Port 0: no plaintext client port (Redis's `port 0`); then tls_port is required.
  net::PeerAddress listen_client;
  net::PeerAddress listen_peer;
  net::PeerAddress advertise_client;  // defaults to listen_client
  // HTTP for /metrics (Prometheus), /health and /ready; none without --listen-metrics.
  std::optional<net::PeerAddress> listen_metrics;
  std::map<raft::NodeId, net::PeerAddress> initial_cluster;  // peer addresses of all members
  // --join: this node joins an existing cluster (initial_cluster then holds the existing
  // members' peer addresses and this node's own). It starts with no configuration and
  // learns it from the leader once an operator adds it (RAFT ADD-LEARNER).
  bool join = false;
  // RAFT PROMOTE refuses a learner further than this many entries behind the leader.
  uint64_t promote_max_lag = 1000;
  std::string cluster_id = "raftkv";

  // Timing: one tick every tick_ms; elections after [election_ticks, 2*election_ticks).
  int tick_ms = 10;
  int heartbeat_ticks = 5;
  int election_ticks = 50;
  // A client request not answered within this time gets an error (a write: -UNKNOWN).
  int request_timeout_ms = 5000;
  // Added to this node's wall clock (the time a leader stamps into the log). For fault
  // testing: a node started with an offset behaves as one whose clock is skewed.
  int64_t clock_offset_ms = 0;

  // Take a snapshot (and compact the log) once this many entries, or this many bytes of
  // entries, were applied since the last one; 0 turns a criterion off. The bytes criterion
  // grows with the state, as Redis's AOF rewrite does (auto-aof-rewrite-min-size 64mb,
  // -percentage 100): it waits for max(snapshot_bytes, last image size x
  // snapshot_growth_percent / 100), so the cost of writing images stays proportional to the
  // writes however large the state is. The entries criterion bounds the log kept in memory.
  uint64_t snapshot_entries = 1000000;
  uint64_t snapshot_bytes = 64ull << 20;
  uint64_t snapshot_growth_percent = 100;
  // Size at which the write-ahead log starts a new segment file. Compaction deletes whole
  // segments, so disk use is bounded by about the snapshot plus this much per segment kept.
  uint64_t wal_segment_bytes = 64ull << 20;
  // A snapshot child still running after this long is killed and the snapshot retried.
  uint64_t snapshot_timeout_ms = 600000;

  // Open a damaged log by cutting it at the damage (listing what is discarded) instead of
  // refusing to start. May lose acknowledged writes on this node: an operator's decision.
  bool repair_log = false;

  std::string log_level = "info";

  // Client limits, with Redis's names (docs/operations.md, "Client limits").
  uint64_t maxclients = 10000;
  uint64_t timeout_seconds = 0;  // `timeout`: close a client idle this long; 0: never
  bool protected_mode = true;    // without requirepass: loopback clients only
  // requirepass: the default user's password (AUTH); empty: none (password_check.h).
  std::string requirepass;
  // client-query-buffer-limit (Redis's 1gb) and proto-max-bulk-len: raftkv's is 64mb, not
  // Redis's 512mb, because a command must fit one peer frame (64 MiB) to be replicated.
  uint64_t client_query_buffer_limit = uint64_t{1} << 30;
  uint64_t proto_max_bulk_len = uint64_t{64} << 20;
  OutputBufferLimit client_output_buffer_limit;
  OutputBufferLimit client_output_buffer_limit_pubsub = kDefaultPubSubOutputLimit;
  // maxmemory (0: none), with Redis's noeviction policy, the only one offered: no key is
  // ever evicted (a replicated store must not drop data behind the clients' backs).
  uint64_t maxmemory = 0;
  // Security (docs/security.md), with Redis's names for client TLS.
  // A TLS client port on listen_client's host; 0: none.
  uint16_t tls_port = 0;
  net::TlsFiles tls;
  net::ClientCertPolicy tls_auth_clients = net::ClientCertPolicy::kRequire;
  // Peers prove knowledge of one of these secrets (read from --cluster-secret-file at
  // startup; empty: no secret).
  net::ClusterSecrets cluster_secrets;
  // Mutual TLS between members when peer_tls.cert_file is set.
  net::TlsFiles peer_tls;
  // slowlog-log-slower-than (microseconds) and slowlog-max-len, Redis's defaults.
  SlowLogSettings slowlog;
  // Waits this many microseconds before applying each entry of the replay after a restart,
  // to make a replay long enough to watch (tests; Redis's key-load-delay). 0: none.
  int64_t key_load_delay_us = 0;
  // The --config file (absolute), which CONFIG REWRITE rewrites; empty: none.
  std::string config_file;
  // --check-config: parse and validate the options (and the --config file), then exit.
  bool check_only = false;
};

// Parses `raftkv serve` arguments (argv[0] is "serve"). On success fills `out` and
// returns 0. Otherwise prints help (returns -1: exit 0) or a clear error to stderr
// (returns 2: the exit code for wrong or missing flags).
int parse_serve_options(int argc, const char* const* argv, ServerOptions* out);

// Parses "1=host:port,2=host:port"; empty error on success.
std::string parse_cluster(const std::string& text, std::map<raft::NodeId, net::PeerAddress>* out);

}  // namespace raftkv::server
