// One client command as the protocol delivers it: the command name followed by its
// arguments, each an arbitrary byte string (binary safe).
#pragma once

#include <string>
#include <vector>

namespace raftkv::kv {

using Argv = std::vector<std::string>;

}  // namespace raftkv::kv
