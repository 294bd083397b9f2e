#include "net/peer_transport.h"

#include <thread>

#include <gtest/gtest.h>

#include "loopback_cluster.h"
#include "net/frame.h"
#include "net/handshake.h"
#include "proto/codec.h"

namespace raftkv::net::testing {
namespace {

using raft::MessageType;

const PeerStats& peer_stats(const TransportStats& stats, raft::NodeId id) {
  for (const PeerStats& p : stats.peers) {
    if (p.id == id) return p;
  }
  static const PeerStats kMissing;
  ADD_FAILURE() << "no stats for peer " << id;
  return kMissing;
}

TEST(PeerTransport, ThreeNodesExchangeMessagesWithEveryFieldIntact) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  for (raft::NodeId id : {1, 2, 3}) cluster.start(id);

  std::map<raft::NodeId, std::vector<raft::Message>> expected;
  for (raft::NodeId from : {1, 2, 3}) {
    for (raft::NodeId to : {1, 2, 3}) {
      if (from == to) continue;
      for (uint64_t seq = 0; seq < 3; ++seq) {
        raft::Message m = full_message(from, to, seq);
        cluster.node(from).transport->send(m);
        expected[to].push_back(std::move(m));
      }
    }
  }
  ASSERT_TRUE(run_until(io, [&] {
    for (raft::NodeId id : {1, 2, 3}) {
      if (cluster.node(id).received.size() < expected[id].size()) return false;
    }
    return true;
  }));
  for (raft::NodeId id : {1, 2, 3}) {
    auto& got = cluster.node(id).received;
    // Per-sender order is preserved; interleaving between senders is not defined.
    std::stable_sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.from < b.from; });
    EXPECT_EQ(got, expected[id]) << "node " << id;
  }

  const TransportStats stats = cluster.node(1).transport->stats();
  ASSERT_EQ(stats.peers.size(), 2u);
  const PeerStats& to2 = peer_stats(stats, 2);
  EXPECT_EQ(to2.state, ConnectionState::kConnected);
  EXPECT_EQ(to2.sent.messages_sent, 3u);
  EXPECT_GT(to2.sent.bytes_sent, 3 * kFrameHeaderBytes);
  EXPECT_EQ(to2.sent.messages_dropped, 0u);
  EXPECT_EQ(to2.received.messages_received, 3u);
  EXPECT_TRUE(to2.inbound_connected);
}

TEST(PeerTransport, ManySmallAndLargeMessagesArriveInOrder) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  cluster.start(1);
  cluster.start(2);
  constexpr uint64_t kCount = 3000;
  for (uint64_t seq = 0; seq < kCount; ++seq) {
    raft::Message m = small_message(MessageType::kApp, 1, 2, seq);
    // Every 100th message is large, so batches of very different sizes are written.
    m.entries.push_back(
        {1, seq + 1, raft::EntryType::kNormal, std::string(seq % 100 == 0 ? 300'000 : 100, 'x')});
    cluster.node(1).transport->send(std::move(m));
  }
  auto& got = cluster.node(2).received;
  ASSERT_TRUE(run_until(io, [&] { return got.size() == kCount; }));
  for (uint64_t seq = 0; seq < kCount; ++seq) ASSERT_EQ(got[seq].read_seq, seq);
  EXPECT_EQ(peer_stats(cluster.node(1).transport->stats(), 2).sent.messages_dropped, 0u);
}

TEST(PeerTransport, ReconnectsAfterThePeerRestartsOnTheSamePort) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  cluster.start(1);
  const uint16_t port2 = cluster.start(2).port;
  cluster.node(1).transport->send(small_message(MessageType::kHeartbeat, 1, 2, 1));
  ASSERT_TRUE(run_until(io, [&] { return cluster.node(2).received.size() == 1; }));

  cluster.stop(2);
  ASSERT_TRUE(run_until(io, [&] {
    return peer_stats(cluster.node(1).transport->stats(), 2).state != ConnectionState::kConnected;
  }));
  cluster.start(2, port2);
  cluster.node(1).transport->send(small_message(MessageType::kHeartbeat, 1, 2, 2));
  cluster.node(2).transport->send(small_message(MessageType::kHeartbeatResp, 2, 1, 3));
  ASSERT_TRUE(run_until(io, [&] {
    return cluster.node(2).received.size() == 2 && cluster.node(1).received.size() == 1;
  }));
  EXPECT_EQ(cluster.node(2).received[1].read_seq, 2u);
  EXPECT_EQ(peer_stats(cluster.node(1).transport->stats(), 2).sent.connects, 2u);
}

TEST(PeerTransport, BoundedQueueDropsWhilePeerIsDownAndPriorityLaneGoesFirst) {
  asio::io_context io;
  TransportOptions options = test_options();
  options.queue.max_bulk_frames = 5;
  options.queue.max_priority_frames = 2;
  LoopbackCluster cluster(io, options);
  cluster.start(1);
  const uint16_t port2 = unused_port();
  cluster.add_address(1, 2, port2);

  PeerTransport& t1 = *cluster.node(1).transport;
  for (uint64_t seq = 0; seq < 8; ++seq) t1.send(small_message(MessageType::kApp, 1, 2, seq));
  for (uint64_t seq = 100; seq < 104; ++seq) {
    t1.send(small_message(MessageType::kHeartbeat, 1, 2, seq));
  }
  run_for(io, 30ms);  // let a few connection attempts fail
  PeerStats to2 = peer_stats(t1.stats(), 2);
  EXPECT_NE(to2.state, ConnectionState::kConnected);
  EXPECT_EQ(to2.sent.messages_dropped, 3u + 2u);
  EXPECT_EQ(to2.queued_messages, 7u);

  cluster.start(2, port2);
  auto& got = cluster.node(2).received;
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 7; }));
  std::vector<uint64_t> order;
  for (const raft::Message& m : got) order.push_back(m.read_seq);
  EXPECT_EQ(order, (std::vector<uint64_t>{100, 101, 0, 1, 2, 3, 4}));
  to2 = peer_stats(t1.stats(), 2);
  EXPECT_EQ(to2.sent.messages_sent, 7u);
  EXPECT_EQ(to2.queued_messages, 0u);
}

TEST(PeerTransport, AppendsForAPeerThatIsNotConnectedAreReportedUnreachable) {
  asio::io_context io;
  LoopbackCluster cluster(io, test_options());
  cluster.start(1);
  cluster.add_address(1, 2, unused_port());  // nobody listens there
  PeerTransport& t1 = *cluster.node(1).transport;
  std::vector<raft::NodeId> reported;
  t1.set_unreachable_handler([&](raft::NodeId id) { reported.push_back(id); });
  t1.send(small_message(MessageType::kHeartbeat, 1, 2, 1));
  run_for(io, 20ms);
  EXPECT_TRUE(reported.empty()) << "only appends are reported";
  t1.send(small_message(MessageType::kApp, 1, 2, 2));
  run_for(io, 20ms);
  EXPECT_EQ(reported, (std::vector<raft::NodeId>{2}));
}

// A raw TCP client of a transport's peer port, for feeding it hostile bytes.
class RawClient {
 public:
  RawClient(asio::io_context& io, uint16_t port) : socket_(io) {
    socket_.connect({asio::ip::make_address("127.0.0.1"), port});
    socket_.async_read_some(asio::buffer(&byte_, 1), [this](const std::error_code& ec, size_t) {
      closed_by_server_ = static_cast<bool>(ec);
    });
  }
  void write(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  bool closed_by_server() const { return closed_by_server_; }

 private:
  asio::ip::tcp::socket socket_;
  char byte_ = 0;
  bool closed_by_server_ = false;
};

std::string handshake_frame(raft::NodeId id, const std::string& cluster = "test-cluster") {
  return make_frame(encode_handshake({id, cluster, "", "", ""}));
}

TEST(PeerTransport, HostileInputClosesOnlyThatConnection) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  cluster.start(1);
  cluster.start(2);
  const uint16_t port1 = cluster.node(1).port;
  PeerTransport& t1 = *cluster.node(1).transport;

  RawClient http(io, port1);
  http.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  RawClient huge_handshake(io, port1);
  huge_handshake.write(std::string("\xff\xff\xff\xff", 4));
  RawClient foreign(io, port1);
  foreign.write(handshake_frame(9, "other-cluster"));
  RawClient oversized(io, port1);
  oversized.write(handshake_frame(9) + std::string("\xff\xff\xff\xf0", 4));
  ASSERT_TRUE(run_until(io, [&] {
    return http.closed_by_server() && huge_handshake.closed_by_server() &&
           foreign.closed_by_server() && oversized.closed_by_server();
  }));
  EXPECT_EQ(t1.stats().rejected_connections, 3u);
  EXPECT_EQ(t1.stats().protocol_errors, 1u);

  // Undecodable and misaddressed messages are dropped; the connection stays usable.
  RawClient sloppy(io, port1);
  raft::Message forged = small_message(MessageType::kVote, 3, 1, 1);
  raft::Message valid = small_message(MessageType::kVote, 9, 1, 2);
  sloppy.write(handshake_frame(9) + make_frame("\xff\xff\xff\xff") +
               make_frame(proto::encode(forged)) + make_frame(proto::encode(valid)));

  cluster.node(2).transport->send(small_message(MessageType::kHeartbeat, 2, 1, 3));
  auto& got = cluster.node(1).received;
  ASSERT_TRUE(run_until(io, [&] { return got.size() == 2; }));
  run_for(io, 20ms);
  EXPECT_EQ(got.size(), 2u);
  EXPECT_FALSE(sloppy.closed_by_server());
  EXPECT_EQ(peer_stats(t1.stats(), 9).received.messages_rejected, 2u);
  EXPECT_EQ(peer_stats(t1.stats(), 9).received.messages_received, 1u);
}

TEST(PeerTransport, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  asio::io_context io;
  TransportOptions options = test_options();
  options.handshake_timeout = 30ms;
  LoopbackCluster cluster(io, options);
  cluster.start(1);
  RawClient silent(io, cluster.node(1).port);
  RawClient half_handshake(io, cluster.node(1).port);
  half_handshake.write(handshake_frame(9).substr(0, 6));
  ASSERT_TRUE(run_until(
      io, [&] { return silent.closed_by_server() && half_handshake.closed_by_server(); }));
  EXPECT_EQ(cluster.node(1).transport->stats().rejected_connections, 2u);
}

TEST(PeerTransport, PeerOfAnotherClusterCannotDeliver) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  cluster.start(1);
  TransportOptions foreign_options = test_options();
  foreign_options.cluster_id = "elsewhere";
  std::vector<raft::Message> received;
  PeerTransport foreign(
      io, 2, {{2, {"127.0.0.1", 0}}, {1, {"127.0.0.1", cluster.node(1).port}}},
      [&](raft::Message m) { received.push_back(std::move(m)); }, foreign_options);
  ASSERT_FALSE(foreign.start());
  foreign.send(small_message(MessageType::kVote, 2, 1, 1));
  ASSERT_TRUE(
      run_until(io, [&] { return cluster.node(1).transport->stats().rejected_connections >= 1; }));
  run_for(io, 20ms);
  EXPECT_TRUE(cluster.node(1).received.empty());
}

TEST(PeerTransport, UnroutableOversizedAndThrowingAreContained) {
  asio::io_context io;
  TransportOptions options = test_options();
  options.max_frame_bytes = 1000;
  LoopbackCluster cluster(io, options);
  cluster.start(1);
  int calls = 0;
  PeerTransport throwing(
      io, 2, {{2, {"127.0.0.1", 0}}, {1, {"127.0.0.1", cluster.node(1).port}}},
      [&](raft::Message) {
        ++calls;
        throw std::runtime_error("handler bug");
      },
      options);
  ASSERT_FALSE(throwing.start());
  cluster.node(1).transport->set_peer(2, {"127.0.0.1", throwing.listen_port()});

  PeerTransport& t1 = *cluster.node(1).transport;
  t1.send(small_message(MessageType::kVote, 1, 1, 0));  // to ourselves
  t1.send(small_message(MessageType::kVote, 1, 5, 0));  // unknown node
  raft::Message big = small_message(MessageType::kApp, 1, 2, 0);
  big.entries.push_back({1, 1, raft::EntryType::kNormal, std::string(2000, 'x')});
  t1.send(big);
  t1.send(small_message(MessageType::kVote, 1, 2, 1));
  t1.send(small_message(MessageType::kVote, 1, 2, 2));
  ASSERT_TRUE(run_until(io, [&] { return calls == 2; }));
  const TransportStats stats = t1.stats();
  EXPECT_EQ(stats.unroutable_messages, 2u);
  EXPECT_EQ(peer_stats(stats, 2).sent.messages_dropped, 1u);
  EXPECT_EQ(peer_stats(stats, 2).sent.messages_sent, 2u);
}

TEST(PeerTransport, PostSendWorksFromAnotherThreadAndAfterDestruction) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  cluster.start(1);
  cluster.start(2);
  std::thread producer([&] {
    for (uint64_t seq = 0; seq < 100; ++seq) {
      cluster.node(1).transport->post_send({small_message(MessageType::kApp, 1, 2, seq)});
    }
  });
  auto& got = cluster.node(2).received;
  const bool all_arrived = run_until(io, [&] { return got.size() == 100; });
  producer.join();
  ASSERT_TRUE(all_arrived);
  for (uint64_t seq = 0; seq < 100; ++seq) EXPECT_EQ(got[seq].read_seq, seq);

  // A post that lands after the transport is gone is discarded.
  cluster.node(1).transport->post_send({small_message(MessageType::kApp, 1, 2, 100)});
  cluster.stop(1);
  run_for(io, 20ms);
  EXPECT_EQ(got.size(), 100u);
}

// Per node: every (peer, client address) its peer info handler reported, in order.
using PeerInfoLog = std::vector<std::pair<raft::NodeId, std::string>>;

std::unique_ptr<PeerTransport> start_advertising(asio::io_context& io, raft::NodeId self,
                                                 std::map<raft::NodeId, PeerAddress> peers,
                                                 const std::string& client_address,
                                                 PeerInfoLog* log) {
  TransportOptions options = test_options();
  options.advertised_client_address = client_address;
  auto t = std::make_unique<PeerTransport>(
      io, self, std::move(peers), [](raft::Message) {}, options);
  t->set_peer_info_handler(
      [log](raft::NodeId peer, const std::string& address) { log->emplace_back(peer, address); });
  EXPECT_FALSE(t->start());
  return t;
}

TEST(PeerTransport, PeersLearnEachOthersClientAddressFromTheHandshake) {
  asio::io_context io;
  PeerInfoLog log1, log2, log3;
  auto t1 = start_advertising(io, 1, {{1, {"127.0.0.1", 0}}}, "127.0.0.1:6379", &log1);
  const uint16_t port1 = t1->listen_port();
  auto t2 = start_advertising(io, 2, {{2, {"127.0.0.1", 0}}, {1, {"127.0.0.1", port1}}},
                              "127.0.0.1:6380", &log2);
  const uint16_t port2 = t2->listen_port();
  t1->set_peer(2, {"127.0.0.1", port2});
  // Node 3 advertises nothing, so it sends a version 1 handshake.
  auto t3 = start_advertising(io, 3, {{3, {"127.0.0.1", 0}}, {1, {"127.0.0.1", port1}}}, "", &log3);
  t1->set_peer(3, {"127.0.0.1", t3->listen_port()});

  ASSERT_TRUE(run_until(io, [&] {
    return !log1.empty() && !log2.empty() && peer_stats(t1->stats(), 3).inbound_connected;
  }));
  run_for(io, 20ms);
  EXPECT_EQ(log1, (PeerInfoLog{{2, "127.0.0.1:6380"}}));
  EXPECT_EQ(log2, (PeerInfoLog{{1, "127.0.0.1:6379"}}));
  EXPECT_EQ(log3, (PeerInfoLog{{1, "127.0.0.1:6379"}}));
  EXPECT_EQ(t1->peer_client_addresses(),
            (std::map<raft::NodeId, std::string>{{2, "127.0.0.1:6380"}}));
  EXPECT_EQ(peer_stats(t1->stats(), 2).client_address, "127.0.0.1:6380");
  EXPECT_EQ(peer_stats(t1->stats(), 3).client_address, "");

  // Node 2 restarts: the same address is not reported again, a new one is.
  t2.reset();
  ASSERT_TRUE(run_until(io, [&] { return !peer_stats(t1->stats(), 2).inbound_connected; }));
  t2 = start_advertising(io, 2, {{2, {"127.0.0.1", port2}}, {1, {"127.0.0.1", port1}}},
                         "127.0.0.1:6380", &log2);
  ASSERT_TRUE(run_until(io, [&] { return peer_stats(t1->stats(), 2).inbound_connected; }));
  t2.reset();
  ASSERT_TRUE(run_until(io, [&] { return !peer_stats(t1->stats(), 2).inbound_connected; }));
  t2 = start_advertising(io, 2, {{2, {"127.0.0.1", port2}}, {1, {"127.0.0.1", port1}}},
                         "node2.example:7380", &log2);
  ASSERT_TRUE(run_until(io, [&] { return log1.size() == 2; }));
  EXPECT_EQ(log1[1], (std::pair<raft::NodeId, std::string>{2, "node2.example:7380"}));
  EXPECT_EQ(t1->peer_client_addresses().at(2), "node2.example:7380");
}

// A node that dials us tells where it listens (handshake v4), with or without cluster
// secrets (the address is then covered by the proof), so that we can dial it back before
// anything else names it. Node 1 never had node 2 in its peer map.
TEST(PeerTransport, ADiallerTellsItsPeerAddress) {
  for (const bool secrets : {false, true}) {
    SCOPED_TRACE(secrets ? "with cluster secrets" : "without secrets");
    asio::io_context io;
    TransportOptions options = test_options();
    if (secrets) options.cluster_secrets = {std::string(32, 's')};
    std::vector<std::pair<raft::NodeId, PeerAddress>> told;
    std::vector<raft::Message> received;
    PeerTransport t1(
        io, 1, {{1, {"127.0.0.1", 0}}},
        [&received](raft::Message m) { received.push_back(std::move(m)); }, options);
    t1.set_peer_address_handler(
        [&told](raft::NodeId id, const PeerAddress& a) { told.emplace_back(id, a); });
    ASSERT_FALSE(t1.start());
    options.advertised_peer_address = "127.0.0.1:7102";
    PeerTransport t2(
        io, 2, {{2, {"127.0.0.1", 0}}, {1, {"127.0.0.1", t1.listen_port()}}}, [](raft::Message) {},
        options);
    ASSERT_FALSE(t2.start());
    raft::Message m;
    m.type = raft::MessageType::kHeartbeat;
    m.from = 2;
    m.to = 1;
    m.term = 3;
    t2.send(m);
    ASSERT_TRUE(run_until(io, [&] { return !received.empty(); }));
    EXPECT_EQ(
        told,
        (std::vector<std::pair<raft::NodeId, PeerAddress>>{{2, PeerAddress{"127.0.0.1", 7102}}}));
  }
  asio::io_context io;
  TransportOptions bad = test_options();
  bad.advertised_peer_address = "no-port";
  PeerTransport t(
      io, 1, {{1, {"127.0.0.1", 0}}}, [](raft::Message) {}, bad);
  EXPECT_EQ(t.start(), std::make_error_code(std::errc::invalid_argument));
}

TEST(PeerTransport, InvalidClientAddressesAreRefused) {
  asio::io_context io;
  TransportOptions options = test_options();
  options.advertised_client_address = "no-port";
  PeerTransport bad(
      io, 1, {{1, {"127.0.0.1", 0}}}, [](raft::Message) {}, options);
  EXPECT_EQ(bad.start(), std::make_error_code(std::errc::invalid_argument));

  LoopbackCluster cluster(io);
  cluster.start(1);
  PeerTransport& t1 = *cluster.node(1).transport;
  bool reported = false;
  // Set after start(), which is fine only because no peer has connected yet.
  t1.set_peer_info_handler([&](raft::NodeId, const std::string&) { reported = true; });
  RawClient injected(io, cluster.node(1).port);
  injected.write(make_frame(encode_handshake({9, "test-cluster", "h:1\r\n+OK", "", ""})));
  RawClient oversized(io, cluster.node(1).port);
  oversized.write(make_frame(encode_handshake(
      {9, "test-cluster", std::string(kMaxClientAddressBytes, 'h') + ":1", "", ""})));
  ASSERT_TRUE(
      run_until(io, [&] { return injected.closed_by_server() && oversized.closed_by_server(); }));
  EXPECT_EQ(t1.stats().rejected_connections, 2u);
  EXPECT_FALSE(reported);
  EXPECT_TRUE(t1.peer_client_addresses().empty());
}

TEST(PeerTransport, StartFailsCleanlyWhenThePortIsTaken) {
  asio::io_context io;
  LoopbackCluster cluster(io);
  const uint16_t taken = cluster.start(1).port;
  PeerTransport second(
      io, 2, {{2, {"127.0.0.1", taken}}}, [](raft::Message) {}, test_options());
  EXPECT_TRUE(second.start());
  PeerTransport no_address(
      io, 3, {}, [](raft::Message) {}, test_options());
  EXPECT_TRUE(no_address.start());
}

}  // namespace
}  // namespace raftkv::net::testing
