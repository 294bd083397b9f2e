// Seeds that once failed, replayed with the options that found them, so a bug that comes
// back is caught at once rather than by chance in a long sweep.
#include <gtest/gtest.h>

#include "sim/node_sim.h"
#include "sim/simulator.h"

namespace raftkv::sim {
namespace {

void expect_passes(uint64_t seed, const SimOptions& options) {
  SimResult r = run_simulation(seed, options);
  EXPECT_TRUE(r.ok()) << r.report();
}

// raftkv-sim --membership-mix --compaction on --disk durable --disk-faults on --nodes 5
SimOptions durable_membership_options() {
  SimOptions options = membership_options(3);
  options.nodes = 5;
  options.compaction.enabled = true;
  options.disk_kind = DiskKind::kDurable;
  options.faults.disk_faults = true;
  options.compaction.min_interval =
      std::min(options.compaction.min_interval, options.compaction.max_interval);
  return options;
}

// raftkv-sim --snapshot-mix --membership on --nodes 3 --seed 500010: MemoryStorage::compact
// kept reporting the bootstrap configuration, so a node restarting after its log was
// compacted past a membership change believed removed nodes were still voters, and won an
// election with their votes without a committed entry (leader completeness).
TEST(RegressionSeeds, RestartAfterCompactingPastAMembershipChange) {
  SimOptions options = snapshot_options(3);
  options.membership.enabled = true;
  expect_passes(500010, options);
}

// raftkv-sim --membership-mix --compaction on --disk durable --disk-faults on --nodes 5
// --seed 104147: an entry persisted right after a snapshot in the same batch (which the
// durable disk holds back until the sync) was checked against the storage's term before the
// snapshot arrived: a false "log matching" report in the monitor.
TEST(RegressionSeeds, EntryAfterASnapshotInTheSameBatch) {
  expect_passes(104147, durable_membership_options());
}

// raftkv-sim --disk durable --disk-faults on --membership-mix --compaction on --nodes 5
// --seed 9042767: the configuration had shrunk to the single voter n3, which campaigned and
// counted its own vote at once, becoming leader of term 4 before that term and vote were
// durable; its fsync then failed, it restarted in term 3 and voted for n1 (still running
// on an older, joint configuration) in term 4: two leaders in term 4. A candidate now
// counts its own vote only when the batch carrying it is advanced. Also a script, which
// keeps reproducing it when the simulator's draws change:
// tests/raft/testdata/regression_single_voter_durable_vote.txt.
TEST(RegressionSeeds, SingleVoterCountsItsVoteOnlyOnceDurable) {
  expect_passes(9042767, durable_membership_options());
}

// The whole-node membership mix (raftkv-sim --whole-node --membership on --nodes 3), session
// 10's sweep from seed 5,000,000. These replays depend on the simulator's draws; each bug
// also has a scripted case: MembershipLinks.* (tests/sim/membership_links_test.cc) and
// Election.ANodeWithoutAConfigurationGrantsNoVote (tests/raft).
//  - 5002087: a leader that pruned a learner on appending its removal, which a later leader
//    then overwrote, never dialled the learner again (MembershipService::tick now makes the
//    links follow the configuration in effect when a truncation changes it).
//  - 5002249: a follower that had pruned a removed node never heard the entries adding it
//    back, and could not answer it when it led (MembershipService::heard_from dials a
//    leader it has an address for again).
//  - 5009254, 5009101: two leaders in one term. A wiped node rejoining under a removed
//    member's id granted a vote to a stale node that still counted the id as a voter (a
//    node without a configuration now grants no vote).
//  - 5001334, 5006726 (and 5001326 at 5 nodes), session 11: a spare added while a founder
//    lagged came to lead; the founder had no entry naming it, so could not dial it to answer
//    (the v4 handshake now tells the dialler's peer address; MembershipLinks.
//    AFollowerDialsALeaderAddedWhileItLagged).
TEST(RegressionSeeds, WholeNodeMembershipLinksAndVotes) {
  NodeSimOptions o;
  o.nodes = 3;
  o.membership = true;
  for (uint64_t seed : {5002087, 5002249, 5009254, 5009101, 5001334, 5006726}) {
    const NodeSimResult r = run_node_simulation(seed, o);
    EXPECT_TRUE(r.ok()) << r.report();
  }
  o.nodes = 5;
  const NodeSimResult r = run_node_simulation(5001326, o);
  EXPECT_TRUE(r.ok()) << r.report();
}

}  // namespace
}  // namespace raftkv::sim
