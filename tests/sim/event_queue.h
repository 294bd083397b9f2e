// Discrete-event scheduler. Events run in (time, insertion sequence) order, so two events
// at the same time always run in the order they were scheduled: with a seeded Rng this
// makes a whole run a function of its seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "sim/sim_time.h"

namespace raftkv::sim {

class EventQueue {
 public:
  using Action = std::function<void()>;

  Time now() const { return now_; }
  void at(Time t, Action action) {
    heap_.push_back(Item{std::max(t, now_), seq_++, std::move(action)});
    std::push_heap(heap_.begin(), heap_.end(), Later{});
  }
  void after(Time delay, Action action) { at(now_ + delay, std::move(action)); }

  bool empty() const { return heap_.empty(); }
  Time next_time() const { return heap_.empty() ? kNever : heap_.front().t; }

  // Runs the earliest event if it is due at or before `limit`; false if none is.
  bool run_next(Time limit) {
    if (heap_.empty() || heap_.front().t > limit) return false;
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Item item = std::move(heap_.back());
    heap_.pop_back();
    now_ = item.t;
    item.action();
    return true;
  }
  // Advances the clock to `t` once every earlier event has run.
  void advance_to(Time t) { now_ = std::max(now_, t); }

 private:
  struct Item {
    Time t;
    uint64_t seq;
    Action action;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.t != b.t ? a.t > b.t : a.seq > b.seq;
    }
  };

  Time now_ = 0;
  uint64_t seq_ = 0;
  std::vector<Item> heap_;
};

}  // namespace raftkv::sim
