// WATCH across a lost write, scripted on three of the shipped nodes (ServerNode: the
// RaftDriver, ClientService and kv::StateMachine that the server runs) with a network the
// test cuts and heals by hand, so the run does not depend on the simulator's random draws.
//
// The regression case of the whole-node sweep's seed 3078738 (5 nodes, see
// docs/simulator.md): a connection sent WATCH while its own write was in flight, so the
// WATCH counted changes from that write's index. The write was lost in a leader change,
// the connection's next write took a lower index of the new log, and another client's
// change at an index between the two was taken as seen: EXEC committed over it, and two
// acknowledged WATCH increments both wrote the same value.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/scripted_cluster.h"

namespace raftkv::sim {
namespace {

constexpr Time kMs = ScriptedCluster::kMs;

// Three founding voters.
class ThreeNodes : public ScriptedCluster {
 public:
  ThreeNodes() : ScriptedCluster(3) {}
};

constexpr uint64_t kWatcher = 1;  // the connection that WATCHes
constexpr uint64_t kOther = 2;    // another client, on the same node
constexpr uint64_t kFiller = 3;   // writes that lengthen node 1's doomed log tail

// Node 1 leads; kWatcher's write is appended but never committed, and it WATCHes `counter`
// while that write is in flight. Node 1 is cut off meanwhile: node 2 or 3 takes over with
// a shorter log, node 1 rejoins (its tail is overwritten), and leads again. Returns the
// index that the lost write had.
raft::Index lose_a_write_under_watch(ThreeNodes& c) {
  EXPECT_TRUE(c.make_leader(1));
  EXPECT_EQ(c.call(1, kWatcher, {"SET", "counter", "19"}), "+OK\r\n");
  c.isolate(1);
  // Node 1 still leads for a moment: it appends what it is sent.
  for (int i = 0; i < 6; ++i) c.send(1, kFiller, {"SET", "filler", std::to_string(i)});
  c.send(1, kWatcher, {"SET", "mine", "lost"});
  c.send(1, kWatcher, {"WATCH", "counter"});
  c.run_for(5 * kMs);  // appended (the driver proposes a batch at a time)
  const raft::Index lost_at = c.last_index(1);
  c.run_for(3000 * kMs);  // the others elect a leader; node 1's writes time out
  EXPECT_NE(c.leader(), raft::kNoNode);
  EXPECT_NE(c.leader(), 1u);
  c.heal();
  c.run_for(500 * kMs);  // node 1 follows; its tail is overwritten
  EXPECT_TRUE(c.make_leader(1));
  EXPECT_LT(c.last_index(1), lost_at) << "the new log must be shorter than the lost write's "
                                         "index, or the scenario tests nothing";
  const auto& r = c.replies(kWatcher);
  EXPECT_EQ(r.size(), 3u);
  if (r.size() >= 2) {
    EXPECT_NE(r[1], "+OK\r\n") << "the write was lost, it must not be acknowledged";
    EXPECT_EQ(r[2], "+OK\r\n") << "WATCH";
  }
  return lost_at;
}

// The watcher's next write lands below the lost write's index; it reads the counter, and
// another client changes the counter, at an index between the two, before the watcher's
// EXEC. EXEC must abort: the counter changed after the WATCH (and after the read).
TEST(WatchSim, ALostWriteDoesNotHideALaterChangeFromExec) {
  ThreeNodes c;
  const raft::Index lost_at = lose_a_write_under_watch(c);
  ASSERT_EQ(c.call(1, kWatcher, {"SET", "mine", "again"}), "+OK\r\n");
  ASSERT_EQ(c.call(1, kWatcher, {"GET", "counter"}), "$2\r\n19\r\n");
  ASSERT_EQ(c.call(1, kOther, {"INCR", "counter"}), ":20\r\n");
  ASSERT_LT(c.last_index(1), lost_at) << "the other client's change must fall below the lost "
                                         "write's index, or the scenario tests nothing";
  ASSERT_EQ(c.call(1, kWatcher, {"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call(1, kWatcher, {"SET", "counter", "20"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call(1, kWatcher, {"EXEC"}), "*-1\r\n") << "EXEC wrote over a change it never saw";
  EXPECT_EQ(c.call(1, kOther, {"GET", "counter"}), "$2\r\n20\r\n");
}

// The same without a read between: only the lost write's failure can lower what the WATCH
// counts from.
TEST(WatchSim, ALostWriteAloneDoesNotHideALaterChangeFromExec) {
  ThreeNodes c;
  const raft::Index lost_at = lose_a_write_under_watch(c);
  ASSERT_EQ(c.call(1, kWatcher, {"SET", "mine", "again"}), "+OK\r\n");
  ASSERT_EQ(c.call(1, kOther, {"INCR", "counter"}), ":20\r\n");
  ASSERT_LT(c.last_index(1), lost_at);
  ASSERT_EQ(c.call(1, kWatcher, {"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call(1, kWatcher, {"INCR", "counter"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call(1, kWatcher, {"EXEC"}), "*-1\r\n") << "EXEC wrote over a change it never saw";
  EXPECT_EQ(c.call(1, kOther, {"GET", "counter"}), "$2\r\n20\r\n");
}

// And the WATCH still works as Redis's when nothing is lost: the connection's own write
// in flight at WATCH does not abort its EXEC.
TEST(WatchSim, AWriteInFlightAtWatchDoesNotAbortItsOwnExec) {
  ThreeNodes c;
  ASSERT_TRUE(c.make_leader(1));
  c.send(1, kWatcher, {"SET", "counter", "19"});
  c.send(1, kWatcher, {"WATCH", "counter"});
  c.run_for(200 * kMs);
  ASSERT_EQ(c.replies(kWatcher), (std::vector<std::string>{"+OK\r\n", "+OK\r\n"}));
  ASSERT_EQ(c.call(1, kWatcher, {"MULTI"}), "+OK\r\n");
  ASSERT_EQ(c.call(1, kWatcher, {"INCR", "counter"}), "+QUEUED\r\n");
  EXPECT_EQ(c.call(1, kWatcher, {"EXEC"}), "*1\r\n:20\r\n");
}

}  // namespace
}  // namespace raftkv::sim
