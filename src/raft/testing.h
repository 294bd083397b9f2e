// The test-only seam into the core, for the in-tree tests and the simulator (never installed):
// nodes with injected bugs, and read access to the implementation's log and progress
// tracker, which the public API shows only as copies (Status).
#pragma once

#include <memory>

#include "raft/check.h"
#include "raft/raft.h"
#include "raftkv/raft/node.h"

namespace raftkv::raft::testing {

class NodeAccess {
 public:
  // A node whose algorithm is deliberately broken as `bugs` say (the Config is checked
  // as Node's constructor checks it).
  static Node make(const Config& config, Storage* storage, const InjectedBugs& bugs) {
    if (auto valid = config.validate(); !valid) {
      check_failed("config.validate()", __FILE__, __LINE__, valid.error().message);
    }
    return Node(std::make_unique<Raft>(config, storage, bugs));
  }
  static std::unique_ptr<Node> make_unique(const Config& config, Storage* storage,
                                           const InjectedBugs& bugs) {
    return std::make_unique<Node>(make(config, storage, bugs));
  }
  static const Raft& raft(const Node& node) { return *node.raft_; }
  static Raft& raft(Node& node) { return *node.raft_; }
};

// The implementation behind `node`: its log(), tracker() and private state for tests.
inline const Raft& internals(const Node& node) {
  return NodeAccess::raft(node);
}
inline Raft& internals(Node& node) {
  return NodeAccess::raft(node);
}

}  // namespace raftkv::raft::testing
