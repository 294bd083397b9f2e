// SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: their count rules (Redis 7.0's texts) and
// replies. Reads: local randomness (random_pick.h), which may differ between replicas.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "kv/command_support.h"
#include "kv/random_pick.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

// A negative count repeats elements, so its reply is not bounded by the collection's
// size; raftkv builds replies in memory and refuses larger counts rather than let one
// request exhaust a node's memory (Redis would try).
inline constexpr int64_t kMaxRandomMembersWithRepeats = int64_t{1} << 20;

// key [count [option]]: `option` is WITHVALUES or WITHSCORES (empty: none is taken).
inline std::string validate_random_count(std::span<const std::string> argv,
                                         std::string_view option) {
  if (argv.size() < 3) return {};
  const auto count = parse_int64(argv[2]);
  if (!count) return std::string(kNotInteger);
  if (*count == INT64_MIN) {
    return "ERR value is out of range, value must between -9223372036854775807 and "
           "9223372036854775807";  // sic: Redis 7.0's getRangeLongFromObjectOrReply
  }
  if (argv.size() > 4 || (argv.size() == 4 && (option.empty() || !equals_ci(argv[3], option)))) {
    return std::string(kSyntaxError);
  }
  if (argv.size() == 4 && (*count < -(INT64_MAX / 2) || *count > INT64_MAX / 2)) {
    return "ERR value is out of range";
  }
  if (*count < -kMaxRandomMembersWithRepeats) {
    return "ERR count is out of range: raftkv returns at most " +
           std::to_string(kMaxRandomMembersWithRepeats) + " members with repeats";
  }
  return {};
}

// The reply to a count: distinct elements for count > 0 (all of them when count >= size),
// |count| picks with repeats for count < 0. write(it) writes one element's
// `per_element` items. `c` must not be empty.
template <typename Container, typename Write>
void write_random_picks(const Container& c, int64_t count, size_t per_element, RespWriter* out,
                        Write&& write) {
  const auto picked =
      count < 0 ? pick_with_repeats(c, 0 - static_cast<uint64_t>(count), local_random())
                : pick_distinct(c, std::min(static_cast<size_t>(count), c.size()), local_random());
  out->array_header(picked.size() * per_element);
  for (const auto& it : picked) write(it);
}

}  // namespace raftkv::kv
