// Redis's sorted-set commands — ZADD (NX, XX, GT, LT, CH, INCR), ZINCRBY, ZSCORE,
// ZMSCORE, ZCARD, ZRANGE (by rank or BYSCORE, REV, LIMIT, WITHSCORES), ZREVRANGE,
// ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANK, ZREVRANK, ZREM, ZPOPMIN, ZPOPMAX, ZCOUNT,
// ZREMRANGEBYSCORE, ZREMRANGEBYRANK, ZRANGESTORE, the lex family (ZRANGEBYLEX,
// ZREVRANGEBYLEX, ZLEXCOUNT, ZREMRANGEBYLEX), ZRANDMEMBER, and ZUNION, ZINTER, ZDIFF, their
// STORE forms and ZINTERCARD (WEIGHTS, AGGREGATE, WITHSCORES, LIMIT) — with its reply formats and
// error texts; scores print as Redis 7.0 prints them (float_format.h). Called by data_commands.cc
// for the commands command_value_type() maps to kZSet.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks that do not depend on the data (validate_arguments' part for sorted sets).
std::string validate_zset_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_zset_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out);

// `argv` has been validated and the key's expiry applied (ZUNIONSTORE and friends read
// their sources as of `now`).
void execute_zset_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        uint64_t now, RespWriter* out);

// ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
bool is_zset_algebra(CommandId id);

}  // namespace raftkv::kv
