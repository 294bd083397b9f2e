// SHA-1 as Redis uses it to name scripts (EVALSHA, SCRIPT LOAD, redis.sha1hex): 40 lower-case
// hex digits. Names only, not security: no library is needed for 60 lines of arithmetic.
#pragma once

#include <string>
#include <string_view>

namespace raftkv::kv {

std::string sha1_hex(std::string_view data);

}  // namespace raftkv::kv
