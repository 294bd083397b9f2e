// Exactly-once client sessions, part of the replicated state (see docs/sessions.md).
//
// A session remembers the last sequence number it applied and that write's reply, so a
// retried write (same seq) is answered from the table instead of being applied twice.
// Sessions expire by *log time*: every log entry carries the proposing leader's clock, the
// state machine's clock is the largest value seen so far, and a session unused for
// ttl_ms of that clock is dropped. Every replica applies the same entries, so every
// replica expires the same sessions at the same log index; no local clock is consulted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace raftkv::kv {

// Must be the same on every replica (it decides replicated state).
struct SessionPolicy {
  uint64_t ttl_ms = 60 * 60 * 1000;  // an hour of log time without use
  size_t max_sessions = 100'000;     // opening one more drops the least recently used
};

struct Session {
  uint64_t last_seq = 0;
  std::string last_reply;  // RESP-encoded reply to last_seq
  uint64_t last_used_index = 0;
  uint64_t last_used_ms = 0;

  bool operator==(const Session&) const = default;
};

class SessionTable {
 public:
  explicit SessionTable(SessionPolicy policy = {}) : policy_(policy) {}

  // Opens session `id` (the log index of its SESSION OPEN, hence unique), evicting the
  // least recently used sessions beyond max_sessions.
  void open(uint64_t id, uint64_t index, uint64_t now_ms);
  bool close(uint64_t id);
  Session* find(uint64_t id);
  // Records a use of `session` at log position (index, now_ms).
  void touch(uint64_t id, uint64_t index, uint64_t now_ms);
  // Drops sessions unused for more than ttl_ms of log time.
  void expire(uint64_t now_ms);

  size_t size() const { return sessions_.size(); }
  void clear();
  const std::map<uint64_t, Session>& sessions() const { return sessions_; }
  // Restoring a snapshot: inserts a session as it was; false if the id or its last-use
  // index is already taken (a corrupt image).
  bool insert(uint64_t id, Session session);

 private:
  void erase(std::map<uint64_t, Session>::iterator it);

  SessionPolicy policy_;
  std::map<uint64_t, Session> sessions_;
  // last_used_index -> id. Each log entry touches at most one session, so the keys are
  // unique, and log time never decreases along the log, so this is also oldest-first by
  // last use time: expiry and eviction only ever look at the front.
  std::map<uint64_t, uint64_t> by_last_use_;
};

}  // namespace raftkv::kv
