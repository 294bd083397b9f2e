#include "raft/check.h"

#include <cstdio>
#include <cstdlib>

namespace raftkv::raft {

void check_failed(std::string_view condition, std::string_view file, int line,
                  std::string_view what) {
  std::fprintf(stderr, "raftkv: invariant violated at %.*s:%d: %.*s (%.*s)\n",
               static_cast<int>(file.size()), file.data(), line, static_cast<int>(what.size()),
               what.data(), static_cast<int>(condition.size()), condition.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace raftkv::raft
