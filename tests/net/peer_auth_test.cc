// The cluster-secret challenge-response (net/peer_auth.h): what passes, and each attack it
// must refuse. Then the same through real transports on loopback.
#include "net/peer_auth.h"

#include <unistd.h>
#include <cstdio>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "loopback_cluster.h"
#include "net/byte_order.h"
#include "net/handshake.h"

namespace raftkv::net {
namespace {

const std::string kOld = "old-secret-0123456789abcdef";
const std::string kNew = "new-secret-0123456789abcdef";

// A dialer's v3 handshake payload claiming `id`.
std::string hello(raft::NodeId id, const std::string& nonce = random_nonce()) {
  return encode_handshake({id, "c", "127.0.0.1:6379", nonce, ""});
}

// Runs one exchange; returns "" if both sides accept, else the first refusal.
std::string exchange(const ClusterSecrets& dialer, const ClusterSecrets& acceptor) {
  const std::string payload = hello(2);
  AcceptorAuth a(acceptor, 1, payload);
  DialerAuth d(dialer, 1, payload);
  std::string response;
  if (std::string why = d.answer(a.challenge(), &response); !why.empty()) return "dialer: " + why;
  if (std::string why = a.check_response(response); !why.empty()) return "acceptor: " + why;
  return "";
}

// The response a dialer that skipped its own check would send: proofs over `hello_payload`
// for `acceptor`'s challenge.
std::string response_over(const std::string& hello_payload, const AcceptorAuth& acceptor) {
  std::string response = "RKVA";
  response.push_back(1);
  response += peer_proof(kOld, PeerRole::kDialer, hello_payload, 1,
                         acceptor.challenge().substr(4 + 8, kHandshakeNonceBytes));
  return response;
}

TEST(PeerAuth, SameSecretPassesBothWays) {
  EXPECT_EQ(exchange({kOld}, {kOld}), "");
}

TEST(PeerAuth, WrongSecretIsRefusedByEitherSide) {
  // The dialer notices first: the acceptor's proof matches none of its secrets.
  EXPECT_NE(exchange({kNew}, {kOld}).find("dialer: wrong cluster secret"), std::string::npos);
  // A dialer that answers anyway (it skips its own check) is refused by the acceptor.
  const std::string payload = hello(2);
  AcceptorAuth a({kNew}, 1, payload);
  EXPECT_NE(a.check_response(response_over(payload, a)).find("wrong cluster secret"),
            std::string::npos);
}

TEST(PeerAuth, ReplayedResponseIsRefused) {
  // A recording of a successful exchange...
  const std::string payload = hello(2);
  AcceptorAuth first({kOld}, 1, payload);
  std::string response;
  ASSERT_EQ(DialerAuth({kOld}, 1, payload).answer(first.challenge(), &response), "");
  ASSERT_EQ(first.check_response(response), "");
  // ...replayed on a new connection (same handshake, but the acceptor draws a new nonce).
  AcceptorAuth second({kOld}, 1, payload);
  EXPECT_NE(second.challenge(), first.challenge());
  EXPECT_NE(second.check_response(response), "");
}

TEST(PeerAuth, ReflectedProofIsRefused) {
  // The acceptor's own proofs sent back as the dialer's response.
  const std::string payload = hello(2);
  AcceptorAuth a({kOld}, 1, payload);
  const std::string proofs = a.challenge().substr(4 + 8 + kHandshakeNonceBytes);
  EXPECT_NE(a.check_response("RKVA" + proofs), "");
}

TEST(PeerAuth, ClaimedDialerIdThatDoesNotMatchIsRefused) {
  // A man in the middle rewrites the id in node 2's handshake to 3: node 2's proof was made
  // over what it sent, so it does not vouch for node 3.
  const std::string nonce = random_nonce();
  const std::string sent = hello(2, nonce);
  const std::string tampered = hello(3, nonce);
  AcceptorAuth a({kOld}, 1, tampered);
  EXPECT_NE(a.check_response(response_over(sent, a)), "");
  EXPECT_EQ(a.check_response(response_over(tampered, a)), "");  // only the id differed
  // Node 2 itself refuses the acceptor's challenge first: its proof covers the tampered id.
  std::string response;
  EXPECT_NE(DialerAuth({kOld}, 1, sent).answer(a.challenge(), &response), "");
}

TEST(PeerAuth, ClaimedAcceptorIdThatDoesNotMatchIsRefused) {
  const std::string payload = hello(2);
  // Node 4 answers a dial meant for node 1, under its own id...
  AcceptorAuth four({kOld}, 4, payload);
  std::string response;
  EXPECT_NE(DialerAuth({kOld}, 1, payload)
                .answer(four.challenge(), &response)
                .find("claims to be node 4"),
            std::string::npos);
  // ...or with the id in its challenge rewritten to 1: the proof was made for 4.
  std::string forged = four.challenge();
  std::string id;
  append_big_endian(uint64_t{1}, &id);
  forged.replace(4, 8, id);
  EXPECT_NE(DialerAuth({kOld}, 1, payload).answer(forged, &response), "");
}

TEST(PeerAuth, MalformedChallengesAndResponsesAreRefused) {
  const std::string payload = hello(2);
  AcceptorAuth a({kOld}, 1, payload);
  std::string response;
  DialerAuth d({kOld}, 1, payload);
  ASSERT_EQ(d.answer(a.challenge(), &response), "");
  for (const std::string& bad :
       {std::string(), std::string("RKVA"), response + "x", response.substr(0, response.size() - 1),
        "XXXX" + response.substr(4)}) {
    EXPECT_NE(a.check_response(bad), "") << bad.size();
  }
  std::string zero_count = "RKVA";
  zero_count.push_back(0);
  EXPECT_NE(a.check_response(zero_count), "");
  for (const std::string& bad : {std::string(), a.challenge().substr(0, 20), a.challenge() + "x"}) {
    EXPECT_NE(d.answer(bad, &response), "") << bad.size();
  }
}

TEST(PeerAuth, NodesThatShareOneSecretPassDuringARoll) {
  EXPECT_EQ(exchange({kNew, kOld}, {kOld}), "");
  EXPECT_EQ(exchange({kOld}, {kNew, kOld}), "");
  EXPECT_EQ(exchange({kNew}, {kNew, kOld}), "");
  EXPECT_EQ(exchange({kNew, kOld}, {kNew}), "");
  EXPECT_NE(exchange({kOld}, {kNew}), "");  // the roll is over: the old secret is out
}

std::string write_file(const std::string& text) {
  char path[] = "/tmp/raftkv-secret-XXXXXX";
  const int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << text;
  return path;
}

TEST(PeerAuth, SecretFileFormat) {
  ClusterSecrets secrets;
  const std::string good = write_file("# rolled 2026-12-04\n" + kNew + "\n\n  " + kOld + " \n");
  EXPECT_EQ(load_cluster_secrets(good, &secrets), "");
  EXPECT_EQ(secrets, (ClusterSecrets{kNew, kOld}));
  const std::string short_one = write_file("short\n");
  const std::string none = write_file("# nothing\n\n");
  const std::string too_many =
      write_file(kOld + "1\n" + kOld + "2\n" + kOld + "3\n" + kOld + "4\n" + kOld + "5\n");
  for (const std::string& path : {short_one, none, too_many, std::string("/nonexistent/x")}) {
    EXPECT_NE(load_cluster_secrets(path, &secrets), "") << path;
  }
  for (const std::string& path : {good, short_one, none, too_many}) std::remove(path.c_str());
}

}  // namespace

namespace testing {
namespace {

// A transport for node `id` with its own options, pointed at `peer`.
std::unique_ptr<PeerTransport> lone_transport(asio::io_context& io, raft::NodeId id,
                                              raft::NodeId peer, uint16_t peer_port,
                                              const ClusterSecrets& secrets,
                                              std::vector<raft::Message>* received) {
  TransportOptions options = test_options();
  options.cluster_secrets = secrets;
  auto t = std::make_unique<PeerTransport>(
      io, id,
      std::map<raft::NodeId, PeerAddress>{{id, {"127.0.0.1", 0}}, {peer, {"127.0.0.1", peer_port}}},
      [received](raft::Message m) { received->push_back(std::move(m)); }, options);
  EXPECT_FALSE(t->start());
  return t;
}

// Node 1 of a cluster whose secret is kOld, running; the tests dial it.
class PeerTransportAuth : public ::testing::Test {
 protected:
  static TransportOptions with_old_secret() {
    TransportOptions options = test_options();
    options.cluster_secrets = {kOld};
    return options;
  }
  void SetUp() override { cluster.start(1); }

  asio::io_context io;
  LoopbackCluster cluster{io, with_old_secret()};
};

TEST_F(PeerTransportAuth, WrongSecretDeliversNothingEitherWay) {
  std::vector<raft::Message> got_by_2;
  auto intruder = lone_transport(io, 2, 1, cluster.node(1).port, {kNew}, &got_by_2);
  cluster.add_address(1, 2, intruder->listen_port());
  intruder->send(small_message(raft::MessageType::kVote, 2, 1, 1));
  cluster.node(1).transport->send(small_message(raft::MessageType::kVote, 1, 2, 1));
  // Each refuses the other's connection, as the acceptor of it.
  ASSERT_TRUE(run_until(io, [&] {
    return cluster.node(1).transport->stats().rejected_connections >= 1 &&
           intruder->stats().rejected_connections >= 1;
  }));
  run_for(io, 50ms);
  EXPECT_TRUE(cluster.node(1).received.empty());
  EXPECT_TRUE(got_by_2.empty());
}

TEST_F(PeerTransportAuth, MissingSecretIsRefusedAndSharedSecretDelivers) {
  std::vector<raft::Message> unused;
  auto plain = lone_transport(io, 3, 1, cluster.node(1).port, {}, &unused);
  plain->send(small_message(raft::MessageType::kVote, 3, 1, 1));
  // Mid-roll: node 2 holds the new secret and the old one; node 1 only the old one.
  auto rolled = lone_transport(io, 2, 1, cluster.node(1).port, {kNew, kOld}, &unused);
  rolled->send(small_message(raft::MessageType::kVote, 2, 1, 2));
  auto& got = cluster.node(1).received;
  ASSERT_TRUE(run_until(io, [&] {
    return !got.empty() && cluster.node(1).transport->stats().rejected_connections >= 1;
  }));
  run_for(io, 50ms);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].from, 2u);
}

}  // namespace
}  // namespace testing
}  // namespace raftkv::net
