// The simulated network between Raft nodes: per-message delay drawn from a distribution
// with a slow tail (which reorders messages), loss, duplication, and directed link cuts
// from which every partition shape is built.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "raft/types.h"
#include "sim/rng.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

struct NetworkConfig {
  double loss = 0.0;       // probability a message is dropped
  double duplicate = 0.0;  // probability a message is delivered twice
  Time min_delay = 1;      // usual delay range (time units; a tick is kTick)
  Time max_delay = 30;
  double slow = 0.05;  // probability of a delay from the slow tail instead
  Time slow_max_delay = 3 * kTick;
};

class Network {
 public:
  Network(NetworkConfig config, Rng rng) : config_(config), rng_(rng) {}

  const NetworkConfig& config() const { return config_; }
  void set_loss(double loss) { config_.loss = loss; }
  void set_duplicate(double dup) { config_.duplicate = dup; }

  // Delays for the copies of one message from `from` to `to`: none if it is lost or the
  // link is cut, two if duplicated.
  std::vector<Time> deliveries(raft::NodeId from, raft::NodeId to);
  // A delay for traffic that partitions do not affect (clients talk to every node).
  Time delay();

  // Link cuts are directed: cut(a, b) stops a's messages to b only.
  void cut(raft::NodeId from, raft::NodeId to) { cut_.insert({from, to}); }
  void cut_both(raft::NodeId a, raft::NodeId b) {
    cut(a, b);
    cut(b, a);
  }
  void mend_both(raft::NodeId a, raft::NodeId b) {
    cut_.erase({a, b});
    cut_.erase({b, a});
  }
  // Every node in `a` loses contact with every node in `b`, both ways.
  void split(const std::vector<raft::NodeId>& a, const std::vector<raft::NodeId>& b);
  void heal() { cut_.clear(); }
  bool linked(raft::NodeId from, raft::NodeId to) const { return !cut_.count({from, to}); }
  bool partitioned() const { return !cut_.empty(); }
  std::string describe_cuts() const;

 private:
  NetworkConfig config_;
  Rng rng_;
  std::set<std::pair<raft::NodeId, raft::NodeId>> cut_;
};

}  // namespace raftkv::sim
