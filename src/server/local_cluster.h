// `raftkv cluster`: starts an N-node cluster on this machine in the foreground, for
// development. Each node is a child process running `raftkv serve`; Ctrl-C (SIGINT) or
// SIGTERM stops them all gracefully.
#pragma once

namespace raftkv::server {

int run_local_cluster(int argc, const char* const* argv, const char* self_path);

}  // namespace raftkv::server
