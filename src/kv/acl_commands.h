// The ACL command (Redis 7.0's replies and errors): SETUSER and DELUSER are writes through
// the log, applied to the replicated AclTable; GETUSER, LIST, USERS and DRYRUN are reads of
// it; WHOAMI, CAT, GENPASS, HELP (and LOAD, SAVE: no ACL file, users live in the log) are
// answered by the connection; LOG by the server (its refusals: server/acl_log.h).
#pragma once

#include <span>
#include <string>

#include "kv/acl.h"
#include "kv/commands.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

struct ClientState;

// The subcommand and its arity; empty when acceptable.
std::string validate_acl_arguments(std::span<const std::string> argv);
Route acl_route(std::span<const std::string> argv);

// Before proposing ACL SETUSER: `>password` becomes `#sha256` and `<password` becomes
// `!sha256`, so that no clear-text password reaches the log.
void hash_acl_passwords(Argv* argv);

void execute_acl_write(AclTable& table, std::span<const std::string> argv, RespWriter* out);
void execute_acl_read(const AclTable& table, std::span<const std::string> argv, RespWriter* out);
void execute_acl_local(std::span<const std::string> argv, const ClientState& client,
                       RespWriter* out);

}  // namespace raftkv::kv
