#pragma once
// The consumer-group check of the whole-node simulation: a stream used as a job queue
// (XADD of unique elements; XREADGROUP ... > with COUNT 1, blocking or not; XACK of what
// was read) keeps every promise Redis makes for it, whatever the faults:
//   - an acknowledged XADD is in the stream with the id it was given; nothing is in the
//     stream that was not added, or is in it twice;
//   - no entry is delivered twice by `>` reads, and what a read delivers is the entry at
//     that id;
//   - the group's last-delivered id covers every delivered entry, and every entry up to it
//     was delivered (to an acknowledged read, or to one of unknown outcome: one each);
//   - the pending list holds exactly the delivered entries not yet acknowledged (allowing
//     for XACKs of unknown outcome), and an XACK of a pending entry reports 1.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/history.h"

namespace raftkv::sim {

struct StreamOp {
  enum class Kind : uint8_t { kAdd, kRead, kAck };
  Kind kind = Kind::kAdd;
  uint64_t op = 0;  // the operation's number in the history, for messages
  Outcome outcome = Outcome::kPending;
  std::string id;          // kAdd: the id returned; kRead: the id delivered; kAck: the id acked
  std::string element;     // kAdd: the element added; kRead: the element delivered
  bool delivered = false;  // kRead: the reply held an entry (else nil)
  int64_t acked = 0;       // kAck: the reply's count
};

struct StreamFinal {
  std::vector<std::pair<std::string, std::string>> entries;  // XRANGE: (id, element)
  std::string last_delivered;                                // XINFO GROUPS
  std::set<std::string> pending;                             // XPENDING: ids
};

// Compares two stream ids ("ms-seq") as Redis orders them.
bool stream_id_less(const std::string& a, const std::string& b);

// A description of the first broken promise, or nothing.
std::optional<std::string> check_stream_group(const std::vector<StreamOp>& ops,
                                              const StreamFinal& final_state);

}  // namespace raftkv::sim
