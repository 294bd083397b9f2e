// Keyspace commands that work on a key whatever its type: RENAME, RENAMENX, COPY (writes),
// RANDOMKEY, TOUCH and OBJECT (reads), with Redis 7.0's replies and error texts.
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

// COPY source destination [DB 0] [REPLACE]: a deep copy of the value, with its deadline.
// One database: DB takes only 0, as SELECT does.
std::string validate_copy(std::span<const std::string> argv);
void execute_copy(KvStore& store, std::span<const std::string> argv, RespWriter* out);

// OBJECT ENCODING|FREQ|IDLETIME|REFCOUNT key, OBJECT HELP. raftkv keeps no access times or
// counters: IDLETIME is 0 (a replica's reads leave no trace) and FREQ answers as Redis does
// without an LFU policy. ENCODING names what Redis 7.0 would use for the value as it is now.
// DUMP key: the value in Redis 7.0's RDB encoding with version and CRC-64 (rdb_codec.h,
// dump_payload.h), or nil.
void execute_dump(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                  RespWriter* out);

// RESTORE / RESTORE-ASKING key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]. The
// payload travels in the log as an argument and is decoded when applied (a pure function of
// its bytes), so every replica builds the same value; a relative TTL counts from log time.
// raftkv tracks no access times or frequencies: IDLETIME and FREQ are checked, then ignored.
std::string validate_restore(std::span<const std::string> argv);
void execute_restore(KvStore& store, std::span<const std::string> argv, uint64_t now,
                     RespWriter* out);

std::string validate_object(std::span<const std::string> argv);
void execute_object(const KvStore& store, std::span<const std::string> argv, uint64_t now,
                    RespWriter* out);

}  // namespace raftkv::kv
