#include "server/metrics_exposition.h"

#include <prometheus/client_metric.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <limits>
#include <utility>

namespace raftkv::server {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// The families of one scrape, in the order they are added.
class Families {
 public:
  // A family with one sample per label set (none: one unlabelled sample).
  MetricFamily& add(std::string name, std::string help, MetricType type) {
    families_.push_back(MetricFamily{std::move(name), std::move(help), type, {}});
    return families_.back();
  }
  void gauge(std::string name, std::string help, double value) {
    sample(add(std::move(name), std::move(help), MetricType::Gauge), value);
  }
  void counter(std::string name, std::string help, double value) {
    sample(add(std::move(name), std::move(help), MetricType::Counter), value);
  }
  std::vector<MetricFamily>& all() { return families_; }

  static void sample(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
      m.counter.value = value;
    else
      m.gauge.value = value;
    f.metric.push_back(std::move(m));
  }

 private:
  std::vector<MetricFamily> families_;
};

double as_double(uint64_t v) {
  return static_cast<double>(v);
}

void histogram(Families& out, std::string name, std::string help,
               const storage::LatencyHistogram::Snapshot& h) {
  ClientMetric m;
  uint64_t cumulative = 0;
  for (int k = 0; k <= storage::LatencyHistogram::kBuckets; ++k) {
    cumulative += h.counts[static_cast<size_t>(k)];
    const double bound = k < storage::LatencyHistogram::kBuckets
                             ? storage::LatencyHistogram::upper_bound_seconds(k)
                             : std::numeric_limits<double>::infinity();
    m.histogram.bucket.push_back({cumulative, bound});
  }
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = h.sum_seconds;
  out.add(std::move(name), std::move(help), MetricType::Histogram).metric.push_back(std::move(m));
}

void add_server(Families& out, const NodeSample& s) {
  out.gauge("raftkv_server_id", "This member's node id.", as_double(s.id));
  out.gauge("raftkv_server_has_leader", "1 if this member knows a leader, else 0.",
            s.leader != raft::kNoNode);
  out.gauge("raftkv_server_is_leader", "1 if this member is the leader, else 0.", s.is_leader);
  out.gauge("raftkv_server_leader_id", "The leader's node id as this member knows it (0: none).",
            as_double(s.leader));
  out.gauge("raftkv_server_term", "The current Raft term.", as_double(s.term));
  out.counter("raftkv_server_leader_changes_seen_total",
              "Changes to a new known leader this member has seen.", as_double(s.leader_changes));
  // Gauges, as etcd's of the same names: the commit and applied indexes.
  out.gauge("raftkv_server_proposals_committed_total", "The commit index: entries committed.",
            as_double(s.commit));
  out.gauge("raftkv_server_proposals_applied_total", "The applied index: entries applied.",
            as_double(s.applied));
  out.gauge("raftkv_server_proposals_pending", "Writes proposed and not yet answered.",
            as_double(s.proposals_pending));
  out.counter("raftkv_server_proposals_failed_total",
              "Proposed writes that failed (leadership lost, timed out, refused, failed disk).",
              as_double(s.proposals_failed));
  out.gauge("raftkv_server_apply_lag_entries", "Committed entries not yet applied here.",
            as_double(s.commit > s.applied ? s.commit - s.applied : 0));
  out.gauge("raftkv_server_clients_connected", "Connected Redis clients.",
            as_double(s.connected_clients));
  out.counter("raftkv_server_client_connections_total", "Redis client connections accepted.",
              as_double(s.total_connections));
}

void add_disk_and_log(Families& out, const NodeSample& s) {
  out.gauge("raftkv_disk_failed", "1 once a log write or fsync failed: the node stopped serving.",
            s.storage_failed);
  histogram(out, "raftkv_disk_wal_fsync_duration_seconds",
            "The latency of the log's fdatasync, one per append.", s.wal_fsync);
  histogram(out, "raftkv_disk_wal_write_duration_seconds",
            "The latency of an append's writes to the log, before its fsync.", s.wal_write);
  out.counter("raftkv_disk_wal_write_bytes_total", "Bytes of records appended to the log.",
              as_double(s.wal_bytes_written));
  out.gauge("raftkv_log_entries", "Entries in the log since the last compaction.",
            as_double(s.log_entries));
  out.gauge("raftkv_log_bytes_since_snapshot",
            "Bytes of entries applied since the last snapshot (the snapshot policy's measure).",
            as_double(s.log_bytes_since_snapshot));
  const SnapshotSample& snap = s.snapshots;
  out.counter("raftkv_snapshot_taken_total", "Snapshots this member took.", as_double(snap.taken));
  out.counter("raftkv_snapshot_failed_total", "Snapshots that failed.", as_double(snap.failed));
  out.counter("raftkv_snapshot_installed_total", "Snapshots installed from the leader.",
              as_double(snap.installed));
  out.gauge("raftkv_snapshot_last_duration_seconds", "How long the last snapshot took.",
            snap.last_duration_seconds);
  out.gauge("raftkv_snapshot_last_size_bytes", "Size of the newest snapshot image.",
            as_double(snap.last_size_bytes));
  out.gauge("raftkv_snapshot_last_index", "The log index of the newest snapshot.",
            as_double(snap.last_index));
}

void add_network(Families& out, const NodeSample& s) {
  auto& sent = out.add("raftkv_network_peer_sent_bytes_total", "Bytes sent to each peer.",
                       MetricType::Counter);
  auto& received = out.add("raftkv_network_peer_received_bytes_total",
                           "Bytes received from each peer.", MetricType::Counter);
  auto& failures = out.add("raftkv_network_peer_sent_failures_total",
                           "Messages to each peer dropped (a full queue or a failed write).",
                           MetricType::Counter);
  auto& connected = out.add("raftkv_network_peer_connected",
                            "1 while the connection to the peer is up.", MetricType::Gauge);
  auto& lag = out.add("raftkv_raft_follower_lag_entries",
                      "On the leader: entries each follower is behind the leader's log.",
                      MetricType::Gauge);
  for (const PeerSample& p : s.peers) {
    const std::vector<ClientMetric::Label> labels{{"peer", std::to_string(p.id)}};
    Families::sample(sent, as_double(p.sent_bytes), labels);
    Families::sample(received, as_double(p.received_bytes), labels);
    Families::sample(failures, as_double(p.sent_failures), labels);
    Families::sample(connected, p.connected, labels);
    if (p.lag) Families::sample(lag, as_double(*p.lag), labels);
  }
}

void add_commands(Families& out, const CommandCounters& counters) {
  auto& f = out.add("raftkv_commands_total",
                    "Redis commands answered, by command and result (ok, error, redirect: "
                    "-MOVED or -CLUSTERDOWN, retry: -TRYAGAIN, unknown: -UNKNOWN).",
                    MetricType::Counter);
  auto add_row = [&f](std::string_view command, const CommandResultCounts& row) {
    for (size_t r = 0; r < kCommandResults; ++r) {
      if (row.n[r] == 0) continue;  // ~130 commands x 5 results: only those that happened
      Families::sample(f, as_double(row.n[r]),
                       {{"command", std::string(command)},
                        {"result", std::string(to_string(static_cast<CommandResult>(r)))}});
    }
  };
  for (const kv::CommandSpec& spec : kv::command_table()) add_row(spec.name, counters.row(spec.id));
  add_row("unknown", counters.unknown());
}

}  // namespace

std::string_view to_string(CommandResult r) {
  switch (r) {
    case CommandResult::kOk:
      return "ok";
    case CommandResult::kError:
      return "error";
    case CommandResult::kRedirect:
      return "redirect";
    case CommandResult::kRetry:
      return "retry";
    case CommandResult::kUnknown:
      return "unknown";
  }
  return "error";
}

std::string render_metrics(const NodeSample& s) {
  Families out;
  add_server(out, s);
  add_disk_and_log(out, s);
  add_network(out, s);
  out.gauge("raftkv_keys", "Keys in the data set.", as_double(s.keys));
  out.gauge("raftkv_keys_expiring", "Keys with a time to live.", as_double(s.expiring_keys));
  out.gauge("raftkv_memory_used_bytes",
            "Heap bytes allocated (INFO memory's used_memory; the log since the last snapshot "
            "included).",
            as_double(s.heap_bytes));
  out.gauge("raftkv_memory_rss_bytes", "Resident set size of the process.",
            as_double(s.resident_bytes));
  if (s.commands) add_commands(out, *s.commands);
  return prometheus::TextSerializer().Serialize(out.all());
}

Verdict health(const NodeSample& s) {
  if (s.storage_failed) return {false, "the disk failed: this node stopped serving"};
  if (s.leader == raft::kNoNode) return {false, "no leader"};
  return {true, ""};
}

Verdict readiness(const NodeSample& s) {
  Verdict h = health(s);
  if (!h.ok) return h;
  if (s.commit > s.applied + kReadyMaxApplyLag) {
    return {false, "applying the log: " + std::to_string(s.commit - s.applied) + " entries behind"};
  }
  return {true, ""};
}

HttpResponse answer_metrics_request(const std::string& target,
                                    const std::function<NodeSample()>& sample) {
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/metrics") {
    // The text format's content type, which Prometheus negotiates down to.
    return {200, "text/plain; version=0.0.4; charset=utf-8", render_metrics(sample())};
  }
  if (path == "/health" || path == "/ready") {
    const NodeSample s = sample();
    const Verdict v = path == "/health" ? health(s) : readiness(s);
    // The reasons are fixed texts without quotes or backslashes: nothing to escape.
    return {v.ok ? 200u : 503u, "application/json",
            std::string("{\"health\":\"") + (v.ok ? "true" : "false") + "\",\"reason\":\"" +
                v.reason + "\"}\n"};
  }
  return {404, "text/plain; charset=utf-8", "not found; try /metrics, /health or /ready\n"};
}

}  // namespace raftkv::server
