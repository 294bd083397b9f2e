// MEMORY USAGE: an estimate of the bytes a key and its value take in this implementation
// (Redis reports its own allocator's figures, which no other layout can reproduce).
#pragma once

#include <cstdint>
#include <string_view>

#include "kv/value.h"

namespace raftkv::kv {

// The key's map node and index slot, the key and value bytes that live outside it, and
// for a collection every element's node and bytes. Exact for the layout, up to allocator
// rounding; `samples` > 0 estimates a collection from its first `samples` elements (0:
// all of them), as Redis's SAMPLES option does.
uint64_t approximate_memory_usage(std::string_view key, const Value& value, uint64_t samples);

}  // namespace raftkv::kv
