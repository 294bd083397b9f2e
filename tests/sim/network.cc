#include "sim/network.h"

namespace raftkv::sim {

Time Network::delay() {
  if (rng_.chance(config_.slow)) return rng_.uniform(config_.max_delay, config_.slow_max_delay);
  return rng_.uniform(config_.min_delay, config_.max_delay);
}

std::vector<Time> Network::deliveries(raft::NodeId from, raft::NodeId to) {
  std::vector<Time> out;
  if (!linked(from, to) || rng_.chance(config_.loss)) return out;
  out.push_back(delay());
  if (rng_.chance(config_.duplicate)) out.push_back(delay());
  return out;
}

void Network::split(const std::vector<raft::NodeId>& a, const std::vector<raft::NodeId>& b) {
  for (raft::NodeId x : a) {
    for (raft::NodeId y : b) {
      if (x != y) cut_both(x, y);
    }
  }
}

std::string Network::describe_cuts() const {
  if (cut_.empty()) return "none";
  std::string out;
  for (const auto& [from, to] : cut_) {
    if (!out.empty()) out += ' ';
    out += std::to_string(from) + "-x>" + std::to_string(to);
  }
  return out;
}

}  // namespace raftkv::sim
