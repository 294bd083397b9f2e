// Membership changes as log entries. A kConfChange entry's data holds the configuration the
// cluster moves to (a joint one while voters change) plus an opaque context for the
// application (raftkv puts the members' addresses there, so they are replicated too).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "raftkv/raft/types.h"

namespace raftkv::raft {

struct ConfChange {
  ConfState conf;
  std::string context;
  bool operator==(const ConfChange&) const = default;
};

std::string encode_conf_change(const ConfChange& cc);
// Fails (nothing) on bytes that are not exactly an encoded ConfChange.
std::optional<ConfChange> decode_conf_change(std::string_view data);

}  // namespace raftkv::raft
