// Names of the files in a log directory:
//   <seq as 16 lowercase hex digits>.wal     a log segment (seq counts from 1)
//   snap-<index as 16 hex digits>.snap       a snapshot file
//   <name>.tmp                                a file being written atomically
#pragma once

#include <cstdint>
#include <string>

namespace raftkv::storage {

std::string segment_name(uint64_t seq);
bool parse_segment_name(const std::string& name, uint64_t* seq);

std::string snapshot_file_name(uint64_t index);
bool parse_snapshot_file_name(const std::string& name, uint64_t* index);

bool is_temp_file_name(const std::string& name);

}  // namespace raftkv::storage
