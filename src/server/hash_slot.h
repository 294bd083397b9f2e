// Redis Cluster's key -> hash slot mapping (CRC16-XMODEM of the key, or of its {hash tag},
// modulo 16384). raftkv is one shard owning every slot, but a -MOVED reply must name the
// key's real slot: cluster clients update only that slot's owner when they follow it.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftkv::server {

inline constexpr uint16_t kClusterSlots = 16384;

uint16_t hash_slot(std::string_view key);

}  // namespace raftkv::server
