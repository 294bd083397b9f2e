// Backup and disaster recovery from the shell (docs/operations.md, "Backup and recovery"):
//   raftkv snapshot save FILE -s HOST:PORT      a consistent snapshot of a live cluster
//   raftkv snapshot restore FILE --data-dir DIR --id N --initial-cluster ...
//                                               seeds one member of a new cluster from it
//   raftkv recover --force-new-cluster --data-dir DIR
//                                               makes a stopped survivor a one-node cluster
#pragma once

namespace raftkv::server {

int run_snapshot_command(int argc, const char* const* argv);
int run_recover_command(int argc, const char* const* argv);

}  // namespace raftkv::server
