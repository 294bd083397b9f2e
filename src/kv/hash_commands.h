// Redis's hash commands — HSET, HSETNX, HMSET, HGET, HMGET, HGETALL, HDEL, HLEN, HEXISTS,
// HKEYS, HVALS, HINCRBY, HINCRBYFLOAT, HSTRLEN — with its reply formats and error texts.
// Fields are kept in byte order (value.h), which is the order HGETALL/HKEYS/HVALS reply in.
// Called by data_commands.cc for the commands command_value_type() maps to kHash.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks that do not depend on the data (validate_arguments' part for hashes).
std::string validate_hash_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_hash_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out);

// `argv` has been validated and the key's expiry applied.
void execute_hash_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out);

}  // namespace raftkv::kv
