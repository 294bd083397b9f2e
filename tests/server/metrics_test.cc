// /metrics, /health and /ready without a cluster: the WAL latency histogram's buckets, the
// exposition of a NodeSample, the verdicts, reply classification, and the HTTP endpoint
// on a real socket (keep-alive, pipelining, errors).
#include <gtest/gtest.h>

#include <asio.hpp>
#include <string>
#include <thread>

#include "server/command_counters.h"
#include "server/metrics_exposition.h"
#include "server/metrics_http.h"
#include "storage/wal_stats.h"

namespace raftkv::server {
namespace {

using namespace std::chrono_literals;

TEST(LatencyHistogramTest, EtcdBucketsWithInclusiveUpperBounds) {
  storage::LatencyHistogram h;
  h.record(500us);   // <= 1 ms
  h.record(1ms);     // <= 1 ms (the bound is inclusive, as Prometheus's le)
  h.record(1500us);  // <= 2 ms
  h.record(8192ms);  // <= 8.192 s, the last finite bucket
  h.record(9s);      // +Inf
  const auto s = h.snapshot();
  EXPECT_EQ(s.counts[0], 2u);
  EXPECT_EQ(s.counts[1], 1u);
  EXPECT_EQ(s.counts[13], 1u);
  EXPECT_EQ(s.counts[14], 1u);
  EXPECT_EQ(s.count, 5u);
  EXPECT_NEAR(s.sum_seconds, 0.0005 + 0.001 + 0.0015 + 8.192 + 9, 1e-9);
  EXPECT_DOUBLE_EQ(storage::LatencyHistogram::upper_bound_seconds(13), 8.192);
}

TEST(CommandCountersTest, ClassifiesRepliesByTheirFirstBytes) {
  EXPECT_EQ(classify_reply("+OK\r\n"), CommandResult::kOk);
  EXPECT_EQ(classify_reply("$-1\r\n"), CommandResult::kOk);
  EXPECT_EQ(classify_reply("-MOVED 0 127.0.0.1:6379\r\n"), CommandResult::kRedirect);
  EXPECT_EQ(classify_reply("-CLUSTERDOWN no leader\r\n"), CommandResult::kRedirect);
  EXPECT_EQ(classify_reply("-TRYAGAIN busy\r\n"), CommandResult::kRetry);
  EXPECT_EQ(classify_reply("-UNKNOWN outcome unknown\r\n"), CommandResult::kUnknown);
  EXPECT_EQ(classify_reply("-WRONGTYPE Operation\r\n"), CommandResult::kError);
}

NodeSample sample_with(const CommandCounters* commands) {
  NodeSample s;
  s.id = 2;
  s.leader = 1;
  s.term = 7;
  s.commit = 100;
  s.applied = 90;
  s.commands = commands;
  s.peers.push_back(PeerSample{1, true, 1234, 5678, 3, std::nullopt});
  s.peers.push_back(PeerSample{3, false, 10, 20, 0, 4});
  s.wal_fsync.counts[0] = 3;
  s.wal_fsync.counts[2] = 1;
  s.wal_fsync.count = 4;
  s.wal_fsync.sum_seconds = 0.007;
  return s;
}

TEST(MetricsExpositionTest, RendersEtcdStyleNamesLabelsAndHistograms) {
  CommandCounters commands;
  const kv::CommandSpec* set = kv::find_command("set");
  ASSERT_NE(set, nullptr);
  commands.row(set).count("+OK\r\n");
  commands.row(set).count("+OK\r\n");
  commands.row(set).count("-MOVED 1 x:1\r\n");
  commands.row(nullptr).count("-ERR unknown command\r\n");
  const std::string text = render_metrics(sample_with(&commands));
  for (const char* line : {
           "# TYPE raftkv_server_has_leader gauge\nraftkv_server_has_leader 1\n",
           "raftkv_server_is_leader 0\n",
           "raftkv_server_proposals_committed_total 100\n",
           "raftkv_server_proposals_applied_total 90\n",
           "raftkv_server_apply_lag_entries 10\n",
           "# TYPE raftkv_disk_wal_fsync_duration_seconds histogram\n",
           "raftkv_disk_wal_fsync_duration_seconds_bucket{le=\"0.001\"} 3\n",
           "raftkv_disk_wal_fsync_duration_seconds_bucket{le=\"0.002\"} 3\n",
           "raftkv_disk_wal_fsync_duration_seconds_bucket{le=\"0.004\"} 4\n",
           "raftkv_disk_wal_fsync_duration_seconds_bucket{le=\"+Inf\"} 4\n",
           "raftkv_disk_wal_fsync_duration_seconds_count 4\n",
           "raftkv_network_peer_sent_bytes_total{peer=\"1\"} 1234\n",
           "raftkv_network_peer_received_bytes_total{peer=\"1\"} 5678\n",
           "raftkv_network_peer_connected{peer=\"3\"} 0\n",
           "raftkv_raft_follower_lag_entries{peer=\"3\"} 4\n",
           "raftkv_commands_total{command=\"set\",result=\"ok\"} 2\n",
           "raftkv_commands_total{command=\"set\",result=\"redirect\"} 1\n",
           "raftkv_commands_total{command=\"unknown\",result=\"error\"} 1\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\nin:\n" << text;
  }
  // Only the results that happened are listed, and peers without a known lag have none.
  EXPECT_EQ(text.find("command=\"get\""), std::string::npos);
  EXPECT_EQ(text.find("raftkv_raft_follower_lag_entries{peer=\"1\"}"), std::string::npos);
}

TEST(MetricsExpositionTest, HealthNeedsALeaderAndAWorkingDisk) {
  CommandCounters commands;
  NodeSample s = sample_with(&commands);
  EXPECT_TRUE(health(s).ok);
  EXPECT_TRUE(readiness(s).ok);
  s.commit = s.applied + kReadyMaxApplyLag + 1;
  EXPECT_TRUE(health(s).ok);
  EXPECT_FALSE(readiness(s).ok);  // replaying: healthy, not ready
  s.commit = s.applied;
  s.leader = raft::kNoNode;
  EXPECT_EQ(health(s).reason, "no leader");
  EXPECT_FALSE(readiness(s).ok);
  s.leader = 1;
  s.storage_failed = true;
  EXPECT_FALSE(health(s).ok);
  EXPECT_FALSE(readiness(s).ok);
}

// Sends raw bytes to the endpoint and reads until the server closes or `until` appears.
std::string exchange(uint16_t port, const std::string& request, const std::string& until = "") {
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  asio::write(socket, asio::buffer(request));
  std::string got;
  char buf[4096];
  asio::error_code ec;
  while (until.empty() || got.find(until) == std::string::npos) {
    size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) break;
    got.append(buf, n);
  }
  return got;
}

class HttpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    endpoint_ = std::make_unique<HttpEndpoint>(io_, [](const std::string& target) {
      CommandCounters commands;
      NodeSample s = sample_with(&commands);
      if (target == "/health?noleader") s.leader = raft::kNoNode;
      return answer_metrics_request(target.starts_with("/health") ? "/health" : target,
                                    [&s] { return s; });
    });
    ASSERT_EQ(endpoint_->listen({"127.0.0.1", 0}), "");
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    asio::post(io_, [this] { endpoint_->close(); });
    thread_.join();  // run() returns once the endpoint has nothing left to do
  }
  asio::io_context io_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  std::thread thread_;
};

TEST_F(HttpEndpointTest, ServesMetricsHealthAndNotFound) {
  const uint16_t port = endpoint_->port();
  std::string r = exchange(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("Content-Type: text/plain; version=0.0.4"), std::string::npos) << r;
  EXPECT_NE(r.find("raftkv_server_has_leader 1"), std::string::npos) << r;
  r = exchange(port, "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_NE(r.find("{\"health\":\"true\",\"reason\":\"\"}"), std::string::npos) << r;
  r = exchange(port, "GET /health?noleader HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << r;
  EXPECT_NE(r.find("\"reason\":\"no leader\""), std::string::npos) << r;
  r = exchange(port, "GET /nothing HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 404 Not Found\r\n")) << r;
  r = exchange(port, "POST /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << r;
}

TEST_F(HttpEndpointTest, AnswersPipelinedKeepAliveRequestsInOrder) {
  const std::string r = exchange(endpoint_->port(),
                                 "GET /ready HTTP/1.1\r\n\r\nGET /nothing HTTP/1.1\r\n\r\n"
                                 "GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
  const size_t first = r.find("HTTP/1.1 200");
  const size_t second = r.find("HTTP/1.1 404");
  const size_t third = r.find("HTTP/1.1 200", second);
  ASSERT_NE(first, std::string::npos) << r;
  ASSERT_NE(second, std::string::npos) << r;
  ASSERT_NE(third, std::string::npos) << r;
  EXPECT_LT(first, second);
}

TEST_F(HttpEndpointTest, RefusesMalformedRequests) {
  const std::string r = exchange(endpoint_->port(), "NONSENSE\r\n\r\n");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 400 Bad Request\r\n")) << r;
}

}  // namespace
}  // namespace raftkv::server
