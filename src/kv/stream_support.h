// What the two stream command files share: replies of entries and IDs, and XREAD's and
// XREADGROUP's option parsing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kv/resp_writer.h"
#include "kv/stream.h"

namespace raftkv::kv {

inline void write_stream_id(const StreamId& id, RespWriter* out) {
  out->bulk(id.str());
}

// [id, [field, value, ...]]
inline void write_stream_entry(const StreamId& id, const StreamFields& fields, RespWriter* out) {
  out->array_header(2);
  write_stream_id(id, out);
  out->array_header(fields.size());
  for (const auto& field : fields) out->bulk(field);
}

// The entry with ID `id`, or a nil bulk when it is gone (XCLAIM, XINFO's first-entry).
inline void write_stream_entry_or_nil(const Stream& stream, const StreamId& id, RespWriter* out) {
  const auto it = stream.entries().find(id);
  if (it == stream.entries().end()) return out->null_bulk();
  write_stream_entry(it->first, it->second, out);
}

inline std::string nogroup_error(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

// An XRANGE or XPENDING bound: an ID (a missing sequence is 0 for a start, the largest for
// an end), "-"/"+", or "(" and an ID for an exclusive one. The error text, or empty.
std::string parse_range_bound(const std::string& text, bool start, StreamId* id);

// XREAD [COUNT n] [BLOCK ms] STREAMS key... id...; XREADGROUP GROUP g c [COUNT n]
// [BLOCK ms] [NOACK] STREAMS key... id...
struct ReadArgs {
  int64_t count = 0;  // 0: no limit
  std::optional<int64_t> block_ms;
  bool noack = false;
  std::string_view group;
  std::string_view consumer;
  size_t streams_at = 0;  // argv index of the first key
  size_t streams = 0;     // how many keys (and as many IDs after them)
};

// Redis's option parsing for both; the error text, or empty.
std::string parse_read_args(std::span<const std::string> argv, bool group_read, ReadArgs* args);

}  // namespace raftkv::kv
