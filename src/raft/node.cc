// The public Node: validates its Config and forwards to the implementation (raft.h).
#include "raftkv/raft/node.h"

#include <climits>

#include "raft/check.h"
#include "raft/raft.h"

namespace raftkv::raft {

Result<void, ConfigError> Config::validate() const {
  auto fail = [](std::string why) { return unexpected(ConfigError{std::move(why)}); };
  if (id == kNoNode) return fail("Config::id must name this node (0 means nobody)");
  if (election_tick <= 0) return fail("Config::election_tick must be positive");
  // The timeout is drawn from [election_tick, 2*election_tick), which must fit an int.
  if (election_tick > INT_MAX / 2) return fail("Config::election_tick is too large");
  if (heartbeat_tick <= 0) return fail("Config::heartbeat_tick must be positive");
  if (heartbeat_tick >= election_tick) {
    return fail("Config::heartbeat_tick must be less than election_tick (" +
                std::to_string(heartbeat_tick) + " >= " + std::to_string(election_tick) +
                "): followers would time out between heartbeats");
  }
  if (max_size_per_msg == 0) return fail("Config::max_size_per_msg must be positive");
  if (max_committed_size_per_ready == 0) {
    return fail("Config::max_committed_size_per_ready must be positive");
  }
  if (max_inflight_msgs <= 0) return fail("Config::max_inflight_msgs must be positive");
  return {};
}

bool Status::is_voter(NodeId node) const {
  auto has = [node](const std::vector<NodeId>& v) {
    for (NodeId x : v) {
      if (x == node) return true;
    }
    return false;
  };
  return has(conf.voters) || has(conf.voters_outgoing);
}

Result<Node, ConfigError> Node::create(const Config& config, Storage* storage) {
  if (auto valid = config.validate(); !valid) return valid.error();
  if (storage == nullptr) return ConfigError{"Node::create needs a Storage"};
  if (config.applied > storage->last_index()) {
    return ConfigError{"Config::applied (" + std::to_string(config.applied) +
                       ") is beyond the stored log (last index " +
                       std::to_string(storage->last_index()) + ")"};
  }
  return Node(std::make_unique<Raft>(config, storage));
}

namespace {
const Config& checked(const Config& config) {
  if (auto valid = config.validate(); !valid) {
    check_failed("config.validate()", __FILE__, __LINE__, valid.error().message);
  }
  return config;
}
}  // namespace

Node::Node(const Config& config, Storage* storage)
    : raft_(std::make_unique<Raft>(checked(config), storage)) {}
Node::Node(std::unique_ptr<Raft> raft) : raft_(std::move(raft)) {}
Node::Node(Node&&) noexcept = default;
Node& Node::operator=(Node&&) noexcept = default;
Node::~Node() = default;

void Node::tick() {
  raft_->tick();
}
void Node::step(const Message& m) {
  raft_->step(m);
}
void Node::campaign() {
  raft_->campaign();
}
Result<Proposed, ProposeError> Node::propose(std::string data) {
  return raft_->propose(std::move(data));
}
Result<void, ProposeError> Node::read_index(std::string context) {
  return raft_->read_index(std::move(context));
}
Result<Proposed, ProposeError> Node::propose_conf_change(const ConfState& target,
                                                         std::string context) {
  return raft_->propose_conf_change(target, std::move(context));
}
Result<void, ProposeError> Node::transfer_leadership(NodeId target) {
  return raft_->transfer_leadership(target);
}
void Node::report_unreachable(NodeId id) {
  raft_->report_unreachable(id);
}
ConfState Node::conf_at(Index index) const {
  return raft_->conf_at(index);
}
bool Node::has_ready() const {
  return raft_->has_ready();
}
Ready Node::ready() {
  return raft_->ready();
}
void Node::advance(const Ready& rd) {
  raft_->advance(rd);
}
std::vector<Message> Node::take_messages() {
  return raft_->take_messages();
}
Status Node::status() const {
  return raft_->status();
}
Role Node::role() const {
  return raft_->role();
}
Term Node::term() const {
  return raft_->term();
}
NodeId Node::leader() const {
  return raft_->leader();
}
NodeId Node::id() const {
  return raft_->id();
}
uint64_t Node::dropped_messages() const {
  return raft_->dropped_messages();
}

}  // namespace raftkv::raft
