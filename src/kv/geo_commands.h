// Redis's geo commands — GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE and the
// deprecated GEORADIUS, GEORADIUSBYMEMBER and their _RO forms — on sorted sets whose scores
// are 52-bit geohashes (geohash.h), with Redis 7.0's replies and error texts in its order.
//
// GEORADIUS and GEORADIUSBYMEMBER are writes (their STORE forms write), as in Redis, so they
// go through the log even without STORE. Results Redis sorts by distance keep, for equal
// distances, the order the boxes were scanned in (a stable sort): Redis's qsort/pqsort may
// order exact ties differently.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

bool is_geo_command(CommandId id);

// The checks Redis makes before looking the key up (GEOADD's and GEODIST's arguments); the
// search commands check theirs after, as Redis does.
std::string validate_geo_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEORADIUS_RO, GEORADIUSBYMEMBER_RO.
void execute_geo_read(const KvStore& store, const CommandSpec& spec,
                      std::span<const std::string> argv, uint64_t now, RespWriter* out);

// GEOADD, GEOSEARCHSTORE, GEORADIUS, GEORADIUSBYMEMBER. Expired keys have been purged.
void execute_geo_write(KvStore& store, const CommandSpec& spec, std::span<const std::string> argv,
                       RespWriter* out);

// Where GEORADIUS's or GEORADIUSBYMEMBER's STORE/STOREDIST destination is in argv (0: none),
// for ACL checks.
size_t geo_store_key(const CommandSpec& spec, std::span<const std::string> argv);

}  // namespace raftkv::kv
