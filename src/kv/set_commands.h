// Redis's set commands — SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP,
// SRANDMEMBER, SINTER, SINTERCARD, SUNION, SDIFF, SMOVE, SINTERSTORE, SUNIONSTORE, SDIFFSTORE —
// with its reply formats and error texts. Members are kept, and replied, in (hash, bytes) order
// (hashed_key.h): canonical, and random-looking.
// Called by data_commands.cc for the commands command_value_type() maps to kSet.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/random_reply.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks that do not depend on the data (validate_arguments' part for sets).
std::string validate_set_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_set_read(const KvStore& store, const CommandSpec& spec,
                      std::span<const std::string> argv, uint64_t now, RespWriter* out);

// `argv` has been validated and the key's expiry applied. SPOP's choice is a function of
// the key and the entry's log index (`context`), so every replica pops the same members.
void execute_set_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       const WriteContext& context, RespWriter* out);

}  // namespace raftkv::kv
