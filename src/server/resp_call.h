// One Redis-protocol request from the shell tools (`raftkv member`, `raftkv status`) to a
// node, with a deadline: a node that is down, partitioned or stuck must not hang the tool.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "net/peer_address.h"

namespace raftkv::server {

// Sends `args` and returns the reply as text: simple strings and bulk strings as they are,
// integers as digits, errors prefixed with "-" (enough for INFO and the RAFT commands,
// which reply with nothing else). On failure (refused, timed out, an unexpected reply)
// returns nothing and says why in `error`. With REDISCLI_AUTH set in the environment (as
// redis-cli reads it), AUTH with that password goes first; a refusal is the reply.
std::optional<std::string> resp_call(const net::PeerAddress& server,
                                     const std::vector<std::string>& args,
                                     std::chrono::milliseconds timeout, std::string* error);

// resp_call, following -MOVED to the leader (a few hops at most: leadership may move
// meanwhile). Error replies are returned as replies ("-...").
std::optional<std::string> resp_call_leader(net::PeerAddress server,
                                            const std::vector<std::string>& args,
                                            std::chrono::milliseconds timeout, std::string* error);

}  // namespace raftkv::server
