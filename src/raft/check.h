// Fail-stop checks that stay on in every build, release included (TigerBeetle's way):
// a node about to break one of Raft's invariants stops with a clear message instead of
// going on to corrupt its replicas. For invariants of the node's own state only — never
// for what a peer or a client can send, which is validated and refused instead.
#pragma once

#include <string_view>

namespace raftkv::raft {

// Prints "raftkv: invariant violated at FILE:LINE: WHAT (CONDITION)" and aborts.
[[noreturn]] void check_failed(std::string_view condition, std::string_view file, int line,
                               std::string_view what);

}  // namespace raftkv::raft

#define RAFTKV_CHECK(condition, what)                                       \
  do {                                                                      \
    if (!(condition)) [[unlikely]]                                          \
      ::raftkv::raft::check_failed(#condition, __FILE__, __LINE__, (what)); \
  } while (false)
