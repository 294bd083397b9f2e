// Simulated time. One Raft tick is kTick time units, so message and disk latencies can be
// smaller than a tick (the common case) or span several ticks (reordering, slow links).
#pragma once

#include <cstdint>
#include <limits>

namespace raftkv::sim {

using Time = uint64_t;

inline constexpr Time kTick = 100;
inline constexpr Time kNever = std::numeric_limits<Time>::max();

}  // namespace raftkv::sim
