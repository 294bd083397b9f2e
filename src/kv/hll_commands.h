// Redis's HyperLogLog commands — PFADD, PFCOUNT, PFMERGE — on string values in Redis's own
// HLL format (hyperloglog.h), with Redis 7.0's replies and error texts.
//
// PFCOUNT is a read here (a linearizable read point, no log entry). Redis's PFCOUNT of one
// key also writes the estimate into the value's cardinality cache; raftkv's does not (a
// read must not change replicated state), so after PFCOUNT the cache bytes GET shows may
// differ from redis-server's. The count itself is the same.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

bool is_hll_command(CommandId id);

// PFCOUNT. Keys whose deadline is <= now read as absent.
void execute_hll_read(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                      RespWriter* out);

// PFADD, PFMERGE. Expired keys have been purged.
void execute_hll_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out);

}  // namespace raftkv::kv
