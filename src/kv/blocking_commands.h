// Redis 7.0's blocking and multi-key pops: BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP,
// LMPOP, BZPOPMIN, BZPOPMAX, BZMPOP and ZMPOP.
//
// Applied to the store, a blocking pop is its non-blocking form, as inside MULTI or a
// script in Redis: it pops from the first non-empty key in argument order, or answers
// nil (a nil array; BLMOVE and BRPOPLPUSH: a nil bulk string) when all are empty. The
// waiting is the server's (ClientService, client_service_pop.cc): it proposes the command
// again once one of its keys has something, so every pop that serves a client is a log
// entry applied on every replica, and a timeout changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// What the server needs to make a blocking pop wait.
struct PopBlock {
  std::vector<size_t> keys;            // argv indexes of the keys, in order
  std::optional<uint64_t> timeout_ms;  // relative; none: forever (timeout 0)
  bool zset = false;                   // waits for sorted sets, else for lists
};

bool is_blocking_pop(CommandId id);
// For a blocking pop whose arguments are valid; nothing otherwise.
std::optional<PopBlock> pop_block(const CommandSpec& spec, std::span<const std::string> argv);

// Redis's timeout argument (seconds, fractions allowed) in ms, rounded up; 0 is forever.
// Sets `error` (Redis's text) when it is not acceptable.
std::optional<uint64_t> parse_block_timeout(std::string_view s, std::string* error);

// The checks that do not depend on the data.
std::string validate_pop_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated and its keys' expiry applied.
void execute_pop_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out);

}  // namespace raftkv::kv
