#include "kv/hashed_key.h"

#include <xxhash.h>

namespace raftkv::kv {

uint64_t key_hash(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

}  // namespace raftkv::kv
