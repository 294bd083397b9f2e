// String commands beyond the basic ones in data_commands.cc — INCRBYFLOAT, GETRANGE (and
// its alias SUBSTR), SETRANGE, GETEX, LCS — with Redis 7.0's replies and error texts.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks that do not depend on the data (Redis makes them before the key lookup).
std::string validate_string_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// GETRANGE / SUBSTR. `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_getrange(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                      RespWriter* out);

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common
// subsequence, by Redis 7.0's dynamic programme (its table is bounded by 512 MB, as Redis's
// proto-max-bulk-len bounds it), with its replies and its order of checks.
void execute_lcs(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                 RespWriter* out);

// INCRBYFLOAT, SETRANGE, GETEX. `argv` has been validated and expired keys purged. The
// result depends only on the store, argv and the entry's log time (GETEX's deadlines).
void execute_string_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out);

}  // namespace raftkv::kv
