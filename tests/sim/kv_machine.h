// The simulator's replicated state machine: a small key-value map. Apply is deterministic
// (the same entries give the same state and results on every node), and a (client, seq)
// table makes a retried write take effect at most once, so a client may safely resend a
// write that timed out.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "raft/types.h"
#include "sim/kv_command.h"

namespace raftkv::sim {

class KvMachine {
 public:
  // Applies one committed entry and returns the command's result ("ok", "fail" for a
  // failed compare-and-set; empty for the leader's no-op entries). A command whose client
  // already applied a later sequence number is ignored ("stale"); a duplicate of the last
  // one returns the first application's result.
  std::string apply(const raft::Entry& entry);

  std::string get(const std::string& key) const;
  raft::Index applied() const { return applied_; }
  // A hash of the whole state (data and the dedup table): equal states, equal digests.
  uint64_t digest() const;

  // The whole state (applied index, data and the dedup table) as a snapshot image, and
  // back (kv_snapshot.cc). Deterministic: equal states give equal images. restore() returns
  // false, leaving the machine unchanged, if the image is damaged.
  std::string serialize() const;
  bool restore(const std::string& image);

 private:
  struct LastWrite {
    uint64_t seq = 0;
    std::string result;
  };

  raft::Index applied_ = 0;
  std::map<std::string, std::string> data_;
  std::map<uint64_t, LastWrite> last_write_;
};

}  // namespace raftkv::sim
