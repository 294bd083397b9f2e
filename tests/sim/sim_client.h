// A simulated client: issues one key-value operation at a time to the node it believes
// leads, follows redirects, times out and retries (writes keep their sequence number, so
// the state machine applies them at most once), sometimes gives up, and records every
// operation in the history the linearizability checker reads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "raft/types.h"
#include "sim/client_protocol.h"
#include "sim/history.h"
#include "sim/rng.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

class ClientEnv {
 public:
  virtual ~ClientEnv() = default;
  virtual Time now() const = 0;
  virtual void schedule(Time delay, std::function<void()> action) = 0;
  virtual void request(raft::NodeId to, const ClientRequest& req) = 0;
  virtual void note(std::string text) = 0;
  virtual uint64_t next_op_id() = 0;
};

struct ClientConfig {
  int nodes = 3;
  int keys = 3;
  Time timeout = 15 * kTick;   // an attempt with no answer by then is retried elsewhere
  Time think_max = 3 * kTick;  // pause between operations
  double give_up = 0.15;       // chance, at each timeout, of abandoning the operation
};

class SimClient {
 public:
  SimClient(uint64_t id, ClientConfig config, ClientEnv& env, Rng rng);

  void start();
  void on_reply(const ClientReply& reply);
  // Stop issuing new operations (the current one still runs to completion) and stop
  // giving up, so that every pending operation must eventually complete.
  void wind_down() { winding_down_ = true; }
  bool busy() const { return current_.has_value(); }
  // Every operation this client invoked; pending ones are still in flight.
  const History& history() const { return history_; }

 private:
  void issue();
  KvCommand next_command();
  void send_attempt(Time delay);
  void on_timeout(uint64_t op_id, uint64_t attempt);
  void finish(Outcome outcome, std::string result);
  raft::NodeId random_node() { return rng_.uniform(1, static_cast<uint64_t>(config_.nodes)); }

  uint64_t id_;
  ClientConfig config_;
  ClientEnv& env_;
  Rng rng_;
  bool winding_down_ = false;
  uint64_t seq_ = 0;
  uint64_t counter_ = 0;  // makes every written value unique
  raft::NodeId leader_guess_ = raft::kNoNode;
  History history_;
  std::optional<size_t> current_;  // index into history_ of the operation in flight
  uint64_t attempt_ = 0;
  std::set<uint64_t> unresolved_;                 // write attempts that may have entered the log
  std::map<std::string, std::string> last_seen_;  // per key, for compare-and-set
};

}  // namespace raftkv::sim
