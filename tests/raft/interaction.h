// Interaction tests in the style of etcd raft's datadriven testdata/*.txt: a script of
// steps over the test harness (harness.h), each followed by the output it produced. The
// runner prints every message delivered or dropped and every role or term change, so a
// change in behaviour shows up as a diff of the expected output. File format:
//
//   # a comment
//   command arg key=value
//   ----
//   output lines (no blank line inside)
//   <blank line>
//
// Commands (ids are node ids):
//   add-nodes N [pre-vote=true] [check-quorum=true] [election=10] [heartbeat=1]
//             [max-size=BYTES]            nodes 1..N, all voters, empty logs
//   log ID TERM T1 T2 ...                 node ID's log becomes entries of terms T1.., at TERM
//   campaign ID                           node ID starts an election (messages stay queued)
//   tick ID [N]          tick-all [N]     N ticks of the election/heartbeat clock
//   propose ID DATA                       prints the index and term, or the error
//   propose-conf-change ID voters=1,2,3 [learners=4]
//   transfer-leadership ID TO             read-index ID CONTEXT
//   deliver-msgs [ID...]                  delivers the queued messages (to ID... only)
//   stabilize [ROUNDS]                    delivers until no node has anything to do
//   partition 1,2 3,4,5                   cuts every link between the groups
//   isolate ID           heal             cut all of ID's links / restore all links
//   drop-msgs                             discards every queued message
//   add-node ID          restart ID       a new empty node / a crash and restart of ID
//   hold ID              release ID       ID's disk stalls (its Ready is not taken, nothing
//                                         new is durable) / the stall ends
//   compact ID INDEX                      snapshot and discard ID's log up to INDEX
//   status ID            raft-log ID      print node ID's Status / its stable log
//   applied ID           reads ID         print what ID applied / the reads released to it
// Membership planning (raft/membership.h, pure: no cluster needed):
//   conf-enter voters=.. [outgoing=..] [learners=..] to-voters=.. [to-learners=..]
//                                         the configuration a change request appends
//   conf-leave voters=.. outgoing=.. [learners=..]   the configuration leaving a joint one
#pragma once

#include <string>

namespace raftkv::raft::test {

// Runs the script in `text` and returns it with every command's output replaced by what
// the run printed (the input itself when the script's expectations all hold).
std::string run_interaction_script(const std::string& text);

}  // namespace raftkv::raft::test
