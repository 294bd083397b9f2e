#include "sim/linearizability.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_set>
#include <vector>

namespace raftkv::sim {

const char* to_string(Linearizable l) {
  switch (l) {
    case Linearizable::kYes:
      return "linearizable";
    case Linearizable::kNo:
      return "NOT linearizable";
    case Linearizable::kUnknown:
      return "unknown (search budget exhausted)";
  }
  return "?";
}

namespace {

// One operation as the checker sees it.
struct CheckedOp {
  const Operation* op;
  bool known;  // completed with a result; otherwise it may or may not have happened
};

// The sequential specification of one key: the value after `op`, or nothing if the op's
// recorded result is impossible from `state`. Absent keys read as "".
std::optional<std::string> step(const std::string& state, const CheckedOp& c) {
  const KvCommand& cmd = c.op->command;
  const std::string& result = c.op->result;
  switch (cmd.op) {
    case KvOp::kGet:
      if (c.known && result != state) return std::nullopt;
      return state;
    case KvOp::kPut:
      if (c.known && result != "ok") return std::nullopt;
      return cmd.arg;
    case KvOp::kAppend:
      if (c.known && result != "ok") return std::nullopt;
      return state + cmd.arg;
    case KvOp::kCas: {
      bool match = state == cmd.expected;
      if (c.known && result != (match ? "ok" : "fail")) return std::nullopt;
      return match ? cmd.arg : state;
    }
  }
  return std::nullopt;
}

// Wing & Gong's search over a doubly linked list of call and return events, with Lowe's
// cache of (linearized set, state) pairs already explored.
class KeySearch {
 public:
  KeySearch(std::vector<CheckedOp> ops, uint64_t max_steps)
      : ops_(std::move(ops)), max_steps_(max_steps), linearized_((ops_.size() + 63) / 64, 0) {
    build_list();
    find_connection_predecessors();
  }

  Linearizable run() {
    size_t remaining = 0;
    for (const auto& o : ops_) remaining += o.known ? 1 : 0;
    std::string state;
    std::vector<std::pair<int, std::string>> stack;  // (call event, state before it)
    int e = events_[kHead].next;
    while (remaining > 0) {
      if (++steps_ > max_steps_) return Linearizable::kUnknown;
      const Event& ev = events_[e];
      if (e != kTail && ev.call) {
        if (!predecessor_done(ev.op)) {  // its connection's earlier op comes first
          e = ev.next;
          continue;
        }
        if (auto next = step(state, ops_[ev.op])) {
          set_bit(ev.op, true);
          if (cache_.insert(cache_key(*next)).second) {
            stack.emplace_back(e, std::move(state));
            state = std::move(*next);
            lift(e);
            if (ops_[ev.op].known) --remaining;
            e = events_[kHead].next;
            continue;
          }
          set_bit(ev.op, false);
        }
        e = ev.next;
        continue;
      }
      // A return (or the end) reached before its operation was linearized: undo the last
      // choice and try the next candidate after it.
      if (stack.empty()) return Linearizable::kNo;
      auto [top, before] = std::move(stack.back());
      stack.pop_back();
      int op = events_[top].op;
      state = std::move(before);
      set_bit(op, false);
      unlift(top);
      if (ops_[op].known) ++remaining;
      e = events_[top].next;
    }
    return Linearizable::kYes;
  }

  uint64_t steps() const { return steps_; }

 private:
  static constexpr int kHead = 0;
  static constexpr int kTail = 1;
  struct Event {
    bool call = false;
    int op = -1;
    int ret = -1;  // for a call: its return event, -1 if the op never returned
    int prev = -1;
    int next = -1;
  };

  void build_list() {
    struct Point {
      Time t;
      bool is_return;
      int op;
    };
    std::vector<Point> points;
    for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
      points.push_back({ops_[i].op->invoke, false, i});
      if (ops_[i].known) points.push_back({ops_[i].op->complete, true, i});
    }
    // At equal times calls sort first: such operations count as concurrent.
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) {
      if (a.t != b.t) return a.t < b.t;
      if (a.is_return != b.is_return) return !a.is_return;
      return a.op < b.op;
    });
    events_.resize(2);
    std::vector<int> call_of(ops_.size(), -1);
    int prev = kHead;
    for (const Point& p : points) {
      int idx = static_cast<int>(events_.size());
      Event ev;
      ev.call = !p.is_return;
      ev.op = p.op;
      ev.prev = prev;
      events_.push_back(ev);
      events_[prev].next = idx;
      prev = idx;
      if (ev.call) {
        call_of[p.op] = idx;
      } else {
        events_[call_of[p.op]].ret = idx;
      }
    }
    events_[prev].next = kTail;
    events_[kTail].prev = prev;
  }

  void unlink(int i) {
    events_[events_[i].prev].next = events_[i].next;
    events_[events_[i].next].prev = events_[i].prev;
  }
  void relink(int i) {
    events_[events_[i].prev].next = i;
    events_[events_[i].next].prev = i;
  }
  // Removes a call and its return; unlift restores them in the reverse order.
  void lift(int call) {
    unlink(call);
    if (events_[call].ret >= 0) unlink(events_[call].ret);
  }
  void unlift(int call) {
    if (events_[call].ret >= 0) relink(events_[call].ret);
    relink(call);
  }

  // For each op, the latest earlier completed op of the same connection (-1: none). ops_
  // is sorted by invocation, and a connection invokes in sending order.
  void find_connection_predecessors() {
    predecessor_.assign(ops_.size(), -1);
    std::map<uint64_t, int> last_known;
    for (int i = 0; i < static_cast<int>(ops_.size()); ++i) {
      const uint64_t conn = ops_[i].op->connection;
      if (conn == 0) continue;
      auto it = last_known.find(conn);
      if (it != last_known.end()) predecessor_[i] = it->second;
      if (ops_[i].known) last_known[conn] = i;
    }
  }
  bool predecessor_done(int op) const {
    const int p = predecessor_[op];
    return p < 0 || (linearized_[p / 64] >> (p % 64) & 1) != 0;
  }

  void set_bit(int op, bool on) {
    uint64_t mask = uint64_t{1} << (op % 64);
    if (on) {
      linearized_[op / 64] |= mask;
    } else {
      linearized_[op / 64] &= ~mask;
    }
  }
  std::string cache_key(const std::string& state) const {
    std::string key(reinterpret_cast<const char*>(linearized_.data()),
                    linearized_.size() * sizeof(uint64_t));
    key += state;
    return key;
  }

  std::vector<CheckedOp> ops_;
  uint64_t max_steps_;
  uint64_t steps_ = 0;
  std::vector<uint64_t> linearized_;
  std::vector<int> predecessor_;
  std::vector<Event> events_;
  std::unordered_set<std::string> cache_;
};

std::string describe_ops(const std::vector<CheckedOp>& ops) {
  std::string out;
  size_t shown = 0;
  for (const auto& o : ops) {
    if (++shown > 80) {
      out += "  ... (" + std::to_string(ops.size() - 80) + " more)\n";
      break;
    }
    out += "  " + o.op->describe() + "\n";
  }
  return out;
}

}  // namespace

LinearizabilityReport check_linearizable(const History& history, uint64_t max_steps) {
  std::map<std::string, std::vector<CheckedOp>> by_key;
  for (const Operation& op : history) {
    bool known = op.outcome == Outcome::kOk;
    bool maybe = op.outcome == Outcome::kUnknown || op.outcome == Outcome::kPending;
    // Reads change nothing: one without an answer constrains nothing.
    if (!known && (!maybe || op.command.op == KvOp::kGet)) continue;
    by_key[op.command.key].push_back(CheckedOp{&op, known});
  }
  LinearizabilityReport report;
  for (auto& [key, ops] : by_key) {
    std::sort(ops.begin(), ops.end(), [](const CheckedOp& a, const CheckedOp& b) {
      // Ties by id: a connection's ops sent at once keep their sending order.
      return a.op->invoke != b.op->invoke ? a.op->invoke < b.op->invoke : a.op->id < b.op->id;
    });
    KeySearch search(ops, max_steps);
    Linearizable verdict = search.run();
    report.steps += search.steps();
    if (verdict != Linearizable::kYes && report.verdict != Linearizable::kNo) {
      report.verdict = verdict;
      report.key = key;
      report.detail = describe_ops(ops);
      if (verdict == Linearizable::kNo) break;
    }
  }
  return report;
}

}  // namespace raftkv::sim
