// Keyspace commands that work on a key whatever its type: RENAME, RENAMENX (writes) and
// RANDOMKEY (a read), with Redis 7.0's replies and error texts.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// RENAME / RENAMENX source destination: the value and its deadline move to the
// destination (whose own value and deadline are dropped). Expired keys were purged.
void execute_rename(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                    RespWriter* out);

// RANDOMKEY: a live key picked with a local random number (a read: replicas may differ),
// or nil when there is none.
void execute_randomkey(const KvStore& store, uint64_t now, RespWriter* out);

}  // namespace raftkv::kv
