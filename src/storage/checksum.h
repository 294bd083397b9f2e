// Checksums of on-disk data: the low 32 bits of XXH3-64 (libxxhash). Part of the on-disk
// format: changing the function requires a new format version.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftkv::storage {

uint32_t checksum32(std::string_view data);

}  // namespace raftkv::storage
