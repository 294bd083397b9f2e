// One Redis-protocol request from the shell tools (`raftkv member`, `raftkv status`) to a
// node, with a deadline: a node that is down, partitioned or stuck must not hang the tool.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_address.h"

namespace raftkv::server {

// How the shell tools reach client ports, with redis-cli's option names (cli_parse.h).
struct ClientCredentials {
  std::string user;      // --user: AUTH user password; empty: AUTH password (default user)
  std::string password;  // --pass / -a; empty: REDISCLI_AUTH, and without it no AUTH
  bool tls = false;      // --tls, with --cacert (verify the server), --cert and --key
  std::string cacert;
  std::string cert;
  std::string key;
};

// For every later resp_call of this process (each shell tool is a one-shot process).
void set_client_credentials(ClientCredentials credentials);

// Sends `args` and returns the reply as text: simple strings and bulk strings as they are,
// integers as digits, errors prefixed with "-" (enough for INFO and the RAFT commands,
// which reply with nothing else). On failure (refused, timed out, an unexpected reply)
// returns nothing and says why in `error`. With a password (set_client_credentials, or
// REDISCLI_AUTH in the environment, as redis-cli reads it), AUTH goes first; a refusal is
// the reply.
std::optional<std::string> resp_call(const net::PeerAddress& server,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout, std::string* error);

// resp_call, following -MOVED to the leader (a few hops at most: leadership may move
// meanwhile). Error replies are returned as replies ("-...").
std::optional<std::string> resp_call_leader(net::PeerAddress server,
                                            const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout, std::string* error);

}  // namespace raftkv::server
