#include "storage/checksum.h"

#include <xxhash.h>

namespace raftkv::storage {

uint32_t checksum32(std::string_view data) {
  return static_cast<uint32_t>(XXH3_64bits(data.data(), data.size()));
}

}  // namespace raftkv::storage
