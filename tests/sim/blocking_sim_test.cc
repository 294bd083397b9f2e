// Blocking pops on the shipped ClientService and RaftDriver (one simulated node, simulated
// time): clients are woken in the order they blocked, a timeout answers nil and changes
// nothing, MULTI does not block, a blocked connection's later commands wait behind it, and
// a crash of the leader leaves no client hanging. (The replies byte for byte, disconnects
// and a leader kill under load: tests/integration/test_blocking.py.)
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/server_node.h"

namespace raftkv::sim {
namespace {

constexpr Time kMs = 10;  // simulated time units (100 us) per ms

class OneNode {
 public:
  OneNode() {
    raft::ConfState conf;
    conf.voters = {1};
    ServerNode::Env env;
    env.send = [](raft::Message) {};
    env.applied = [](raft::NodeId, const raft::Entry&, const kv::StateMachine&) {};
    env.reply = [this](uint64_t conn, uint64_t, std::string reply) {
      replies_[conn].push_back(std::move(reply));
    };
    node_ = std::make_unique<ServerNode>(1, conf, queue_, Rng(7), ServerNodeConfig{}, env);
    run_for(2000 * kMs);  // elected
  }

  void run_for(Time t) {
    const Time until = queue_.now() + t;
    while (queue_.run_next(until)) {
    }
    queue_.advance_to(until);
  }
  void send(uint64_t conn, kv::Argv argv) { node_->request(conn, ++op_, std::move(argv)); }
  // Sends and runs until it is answered (at most a second); its reply.
  std::string call(uint64_t conn, kv::Argv argv) {
    const size_t before = replies_[conn].size();
    send(conn, std::move(argv));
    for (int i = 0; i < 1000 && replies_[conn].size() == before; ++i) run_for(kMs);
    return replies_[conn].size() == before ? "(none)" : replies_[conn].back();
  }
  const std::vector<std::string>& replies(uint64_t conn) { return replies_[conn]; }
  ServerNode& node() { return *node_; }
  Time now() const { return queue_.now(); }
  // The connection's CLIENT ID, as CLIENT UNBLOCK names it.
  std::string client_id(uint64_t conn) {
    const std::string reply = call(conn, {"CLIENT", "ID"});  // ":<id>\r\n"
    return reply.substr(1, reply.size() - 3);
  }

 private:
  EventQueue queue_;
  std::map<uint64_t, std::vector<std::string>> replies_;
  std::unique_ptr<ServerNode> node_;
  uint64_t op_ = 0;
};

std::string popped(const std::string& key, const std::string& value) {
  return "*2\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" +
         std::to_string(value.size()) + "\r\n" + value + "\r\n";
}

TEST(BlockingSim, ClientsAreWokenInTheOrderTheyBlocked) {
  OneNode n;
  ASSERT_EQ(n.call(9, {"SET", "x", "1"}), "+OK\r\n");
  for (uint64_t conn : {3, 1, 2}) {
    n.send(conn, {"BLPOP", "q", "0"});
    n.run_for(50 * kMs);
  }
  for (uint64_t conn : {1, 2, 3}) EXPECT_TRUE(n.replies(conn).empty()) << conn;
  ASSERT_EQ(n.call(9, {"RPUSH", "q", "a", "b"}), ":2\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(3), std::vector<std::string>{popped("q", "a")});
  EXPECT_EQ(n.replies(1), std::vector<std::string>{popped("q", "b")});
  EXPECT_TRUE(n.replies(2).empty()) << "the third still waits";
  ASSERT_EQ(n.call(9, {"RPUSH", "q", "c"}), ":1\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(2), std::vector<std::string>{popped("q", "c")});
  EXPECT_EQ(n.call(9, {"EXISTS", "q"}), ":0\r\n");
}

TEST(BlockingSim, ANewcomerDoesNotTakeAnElementFromAClientThatWaits) {
  OneNode n;
  n.send(1, {"BLPOP", "q", "0"});
  n.run_for(50 * kMs);
  // Pushed, and a second client's BLPOP arrives with it: the element is the first's.
  n.send(9, {"RPUSH", "q", "x"});
  n.send(2, {"BLPOP", "q", "0"});
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(1), std::vector<std::string>{popped("q", "x")});
  EXPECT_TRUE(n.replies(2).empty());
  n.send(9, {"RPUSH", "q", "y"});
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(2), std::vector<std::string>{popped("q", "y")});
}

TEST(BlockingSim, ATimeoutAnswersNilAndChangesNothing) {
  OneNode n;
  n.send(1, {"BLMOVE", "s", "d", "LEFT", "LEFT", "0.2"});
  n.run_for(150 * kMs);
  EXPECT_TRUE(n.replies(1).empty()) << "still waiting before its timeout";
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(1), std::vector<std::string>{"*-1\r\n"});
  EXPECT_EQ(n.call(9, {"DBSIZE"}), ":0\r\n");
  ASSERT_EQ(n.call(9, {"RPUSH", "s", "late"}), ":1\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.call(9, {"LRANGE", "s", "0", "-1"}), "*1\r\n$4\r\nlate\r\n")
      << "nothing is popped for a client that timed out";
}

TEST(BlockingSim, InsideMultiNothingBlocks) {
  OneNode n;
  EXPECT_EQ(n.call(1, {"MULTI"}), "+OK\r\n");
  EXPECT_EQ(n.call(1, {"BLPOP", "q", "0"}), "+QUEUED\r\n");
  EXPECT_EQ(n.call(1, {"BZPOPMIN", "z", "0"}), "+QUEUED\r\n");
  EXPECT_EQ(n.call(1, {"EXEC"}), "*2\r\n*-1\r\n*-1\r\n");
}

TEST(BlockingSim, ABlockedConnectionsLaterCommandsWaitBehindIt) {
  OneNode n;
  n.send(1, {"BZPOPMAX", "z", "0"});
  n.send(1, {"GET", "k"});
  n.send(1, {"SET", "k", "mine"});
  n.run_for(100 * kMs);
  EXPECT_TRUE(n.replies(1).empty());
  ASSERT_EQ(n.call(9, {"SET", "k", "theirs"}), "+OK\r\n");
  ASSERT_EQ(n.call(9, {"ZADD", "z", "2", "m"}), ":1\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.replies(1), (std::vector<std::string>{"*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n2\r\n",
                                                    "$6\r\ntheirs\r\n", "+OK\r\n"}));
}

TEST(BlockingSim, NoClientHangsWhenTheLeaderGoesAway) {
  OneNode n;
  n.send(1, {"BLPOP", "q", "0"});
  n.run_for(100 * kMs);
  n.node().crash();
  n.node().restart();
  n.run_for(3000 * kMs);
  // The connection died with the process: its client hears nothing, and no element is
  // popped for it after the restart.
  ASSERT_EQ(n.call(9, {"RPUSH", "q", "kept"}), ":1\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.call(9, {"LLEN", "q"}), ":1\r\n");
}

// A blocked XREADGROUP woken by an XADD is answered once, and then waits no more. Its
// poll timer, still armed when the retried proposal answered it, used to keep polling:
// the next XADD was read into the group for a client that was no longer waiting (the
// entry pending, delivered to nobody), and at the deadline the client was answered again
// (found by the whole-node simulation as a read that saw its connection's later write:
// the connection's count of reads in flight went below zero).
TEST(BlockingSim, AWokenStreamReaderIsAnsweredOnceAndWaitsNoMore) {
  for (int delay_ms : {1, 3, 5, 7, 9}) {  // where the XADD falls between two polls
    OneNode n;
    ASSERT_EQ(n.call(9, {"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK\r\n");
    n.send(1, {"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "BLOCK", "300", "STREAMS", "s", ">"});
    n.run_for((50 + delay_ms) * kMs);
    ASSERT_EQ(n.call(9, {"XADD", "s", "1-1", "f", "v"}), "$3\r\n1-1\r\n");
    n.run_for(50 * kMs);
    ASSERT_EQ(n.replies(1).size(), 1u);
    ASSERT_EQ(n.call(9, {"XADD", "s", "2-1", "f", "w"}), "$3\r\n2-1\r\n");
    n.run_for(400 * kMs);  // past the BLOCK deadline
    EXPECT_EQ(n.replies(1).size(), 1u) << "answered twice; XADD after " << delay_ms << " ms";
    EXPECT_EQ(n.call(9, {"XREADGROUP", "GROUP", "g", "d", "STREAMS", "s", ">"}),
              "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$1\r\nw\r\n")
        << "the second entry went to a client no longer waiting; XADD after " << delay_ms << " ms";
  }
}

// CLIENT UNBLOCK answers a waiting pop as its timeout would (or with -UNBLOCKED), pops
// nothing for it afterwards, and lets the connection's later commands run.
TEST(BlockingSim, ClientUnblockAnswersAWaiterAsItsTimeout) {
  OneNode n;
  const std::string id = n.client_id(1);
  n.send(1, {"BLPOP", "q", "0"});
  n.send(1, {"SET", "after", "1"});
  n.run_for(50 * kMs);
  ASSERT_TRUE(n.replies(1).size() == 1);  // CLIENT ID's
  EXPECT_EQ(n.call(9, {"CLIENT", "UNBLOCK", id}), ":1\r\n");
  n.run_for(50 * kMs);
  EXPECT_EQ(n.replies(1), (std::vector<std::string>{":" + id + "\r\n", "*-1\r\n", "+OK\r\n"}));
  EXPECT_EQ(n.call(9, {"CLIENT", "UNBLOCK", id}), ":0\r\n") << "no longer blocked";
  ASSERT_EQ(n.call(9, {"RPUSH", "q", "x"}), ":1\r\n");
  n.run_for(100 * kMs);
  EXPECT_EQ(n.call(9, {"LLEN", "q"}), ":1\r\n") << "nothing popped for it";
  const std::string reader = n.client_id(2);
  n.send(2, {"XREAD", "BLOCK", "0", "STREAMS", "s", "$"});
  n.run_for(50 * kMs);
  EXPECT_EQ(n.call(9, {"CLIENT", "UNBLOCK", reader, "ERROR"}), ":1\r\n");
  n.run_for(50 * kMs);
  EXPECT_EQ(n.replies(2).back(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
}

// A waiter whose pop is already proposed when CLIENT UNBLOCK comes (the disk holds the
// entry) gets what the pop took: an element is never popped for nobody.
TEST(BlockingSim, ClientUnblockOfAPopInFlightLosesNothing) {
  OneNode n;
  const std::string id = n.client_id(1);
  n.send(1, {"BLPOP", "q", "0"});
  n.run_for(50 * kMs);
  ASSERT_EQ(n.call(9, {"RPUSH", "q", "x"}), ":1\r\n");
  n.node().stall_disk(n.now() + 300 * kMs);  // the woken pop's entry waits on the disk
  n.run_for(5 * kMs);
  EXPECT_TRUE(n.replies(1).size() == 1) << "the pop is in flight";
  n.send(9, {"CLIENT", "UNBLOCK", id});
  n.run_for(5 * kMs);
  EXPECT_EQ(n.replies(9).back(), ":1\r\n");
  n.run_for(500 * kMs);
  EXPECT_EQ(n.replies(1).back(), popped("q", "x"));
  EXPECT_EQ(n.call(9, {"LLEN", "q"}), ":0\r\n");
  EXPECT_EQ(n.call(9, {"CLIENT", "UNBLOCK", id}), ":0\r\n");
}

}  // namespace
}  // namespace raftkv::sim
