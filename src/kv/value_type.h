// The kinds of value a key can hold, as TYPE names them. The numbers are persisted in
// snapshots (RKVSNAP3): append new kinds, never renumber.
#pragma once

#include <cstdint>
#include <string_view>

namespace raftkv::kv {

enum class ValueType : uint8_t {
  kString = 0,
  kHash = 1,
  kList = 2,
  kSet = 3,
  kZSet = 4,
  kStream = 5
};

inline constexpr uint8_t kValueTypeCount = 6;

// TYPE's reply: "string", "hash", "list", "set", "zset" or "stream".
std::string_view type_name(ValueType type);

}  // namespace raftkv::kv
