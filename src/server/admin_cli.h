// `raftkv member ...`: the membership commands from the shell. Each subcommand sends the
// matching RAFT command to a node over the Redis protocol and follows -MOVED to the leader.
#pragma once

namespace raftkv::server {

int run_member_command(int argc, const char* const* argv);

}  // namespace raftkv::server
