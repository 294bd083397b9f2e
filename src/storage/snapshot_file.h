// Snapshot files (named by file_names.h) in the log directory, holding a file
// header (file_header.h, id = snapshot index) and one kSnapshot record with the whole
// Snapshot (metadata and state-machine image). Written atomically (temp file, sync, rename,
// directory sync) before the log record that refers to it.
#pragma once

#include <cstdint>
#include <string>

#include "raft/types.h"
#include "storage/file_names.h"
#include "storage/file_system.h"
#include "storage/status.h"

namespace raftkv::storage {

Status write_snapshot_file(FileSystem* fs, const std::string& dir, const raft::Snapshot& snap);
Status read_snapshot_file(FileSystem* fs, const std::string& dir, uint64_t index,
                          raft::Snapshot* out);

}  // namespace raftkv::storage
