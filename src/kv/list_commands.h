// Redis's list commands — LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP (with a count), LLEN,
// LRANGE, LINDEX, LSET, LREM, LTRIM, LINSERT, RPOPLPUSH, LMOVE, LPOS — with its reply formats
// and error texts.
// Called by data_commands.cc for the commands command_value_type() maps to kList.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks that do not depend on the data (validate_arguments' part for lists).
std::string validate_list_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_list_read(const KvStore& store, const CommandSpec& spec,
                       std::span<const std::string> argv, uint64_t now, RespWriter* out);

// `argv` has been validated and the key's expiry applied.
void execute_list_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                        RespWriter* out);

}  // namespace raftkv::kv
