// Redis's stream commands, with Redis 7.0's replies and error texts:
//   stream_commands.cc        XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD
//   stream_group_commands.cc  XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO
// Called by data_commands.cc for the commands command_value_type() maps to kStream.
//
// Determinism: a write's times (IDs made for `*`, delivery and seen times) are the
// entry's log time (WriteContext::now_ms), so every replica computes the same IDs, PELs and
// replies. XREADGROUP changes the group (PEL, last ID), so it is a write through the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// The checks Redis makes before it looks at the key (option syntax, numbers), so that a
// malformed write is refused before it is proposed.
std::string validate_stream_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_stream_read(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out);

// `argv` has been validated and the expiry of the keys at fixed positions applied.
void execute_stream_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, const WriteContext& context,
                          RespWriter* out);

// XREAD's or XREADGROUP's BLOCK option: the timeout (ms, 0: forever) and where the keys
// (argv[keys_at], as many as `streams`) and then their IDs are. Nothing without BLOCK.
struct StreamBlock {
  int64_t timeout_ms = 0;
  size_t keys_at = 0;
  size_t streams = 0;
};
std::optional<StreamBlock> stream_block(const CommandSpec& spec, std::span<const std::string> argv);

}  // namespace raftkv::kv
