// HSCAN, SSCAN and ZSCAN key cursor [MATCH pattern] [COUNT count], with Redis 7.0's
// replies and error order, and the hash-value cursors of hash_order_scan.h: hash fields
// come as field, value; sorted-set members as member, score.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// What is checked before the key is looked up: the cursor only (Redis reads the options
// once it has found the key, so a missing key answers an empty page whatever they are).
std::string validate_collection_scan(std::span<const std::string> argv);

// `argv` has been validated; keys whose deadline is <= now read as absent.
void execute_collection_scan(const KvStore& store, const CommandSpec& spec,
                             std::span<const std::string> argv, uint64_t now, RespWriter* out);

}  // namespace raftkv::kv
