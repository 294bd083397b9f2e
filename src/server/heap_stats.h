// What the process's memory allocator reports, for INFO memory.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftkv::server {

// Bytes of heap the program holds (Redis's used_memory): jemalloc's stats.allocated when
// the server is linked with jemalloc (the default build), else glibc's mallinfo2; 0 when
// the allocator in use reports nothing (a sanitizer's, say).
uint64_t heap_used_bytes();

// Resident set size from /proc/self/statm (0 where there is none).
uint64_t resident_bytes();

// "jemalloc-5.3.0-..." or "libc", as Redis's mem_allocator field.
std::string_view allocator_name();

}  // namespace raftkv::server
