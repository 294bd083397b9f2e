// Redis's bitmap commands on string values — SETBIT, GETBIT, BITCOUNT (BYTE|BIT ranges),
// BITPOS, BITOP, BITFIELD, BITFIELD_RO — with Redis 7.0's replies and error texts, checked in its
// order. Bit 0 is the most significant bit of the first byte, as in Redis.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

bool is_bitmap_command(CommandId id);

// The checks Redis makes before it looks the key up (SETBIT's, GETBIT's, BITOP's, and
// BITPOS's bit; BITCOUNT's and BITPOS's ranges are checked after, as Redis does).
std::string validate_bitmap_arguments(const CommandSpec& spec, std::span<const std::string> argv);

// GETBIT, BITCOUNT, BITPOS, BITFIELD_RO. `argv` has been validated; keys whose deadline is <= now
// read as absent.
void execute_bitmap_read(const KvStore& store, const CommandSpec& spec,
                         std::span<const std::string> argv, uint64_t now, RespWriter* out);

// SETBIT, BITOP, BITFIELD. `argv` has been validated and expired keys purged.
void execute_bitmap_write(KvStore& store, const CommandSpec& spec,
                          std::span<const std::string> argv, RespWriter* out);

}  // namespace raftkv::kv
