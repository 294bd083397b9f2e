// What one Redis client connection may cost the node, with Redis's names and units:
// client-output-buffer-limit, client-query-buffer-limit, proto-max-bulk-len, maxclients,
// timeout and protected-mode (docs/operations.md, "Client limits").
#pragma once

#include <asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kv/resp_parser.h"

namespace raftkv::server {

// client-output-buffer-limit for the "normal" class: a connection whose unsent replies
// exceed `hard` bytes, or stay above `soft` bytes for `soft_seconds`, is closed; 0 turns a
// limit off. Redis's default for normal clients is 0 0 0 (no limit); raftkv's is not: a
// client that pipelines big reads and never reads its replies would otherwise hold the
// node's memory (docs/operations.md says why these numbers).
struct OutputBufferLimit {
  uint64_t hard = uint64_t{256} << 20;
  uint64_t soft = uint64_t{64} << 20;
  uint64_t soft_seconds = 60;
  bool operator==(const OutputBufferLimit&) const = default;
};

// client-output-buffer-limit for the "pubsub" class (a connection subscribed to a channel
// or pattern): Redis's default, 32mb 8mb 60. A subscriber that does not read is closed
// instead of making the node hold every message for it.
inline constexpr OutputBufferLimit kDefaultPubSubOutputLimit{uint64_t{32} << 20, uint64_t{8} << 20,
                                                             60};

// Everything a ClientConnection enforces by itself.
struct ConnectionLimits {
  kv::ParserLimits parser;  // client-query-buffer-limit, proto-max-bulk-len
  OutputBufferLimit output;
  OutputBufferLimit pubsub = kDefaultPubSubOutputLimit;  // while subscribed
  // Commands accepted but not answered yet; reading pauses at this many.
  size_t max_pending_replies = 4096;
};

// Largest write command (its encoded log entry) the server proposes. An entry travels to
// the followers in one peer frame of at most 64 MiB (net/transport_options.h), which also
// carries the message around it; a bigger one would be dropped by the transport on every
// retry and stop all replication behind it. MSET of many large values can reach this
// even when each argument is within proto-max-bulk-len.
inline constexpr uint64_t kMaxCommandBytes = uint64_t{56} << 20;
// At least the size of a write's encoded log entry (kv/command_codec.h: the arguments,
// a varint length each, and a fixed header), without encoding it.
uint64_t encoded_size_bound(const kv::Argv& argv);
// The error a bigger write gets (it is not executed).
std::string command_too_large_error(uint64_t bytes);

// Reading from a connection pauses while its unsent replies are at least this many bytes,
// so that a client that does not read cannot make the node parse and execute more: the
// soft limit if set (a client stuck there is closed after soft_seconds), else the hard
// limit, else a fixed 64 MiB (memory stays bounded even with both limits off).
uint64_t output_pause_bytes(const OutputBufferLimit& limit);

// Redis's memory units (memtoull): a plain number of bytes, or with a suffix k/kb, m/mb,
// g/gb (case-insensitive; k = 1000, kb = 1024, and so on). Nothing on an invalid text.
std::optional<uint64_t> parse_memory_size(std::string_view text);

// "normal <hard> <soft> <soft-seconds>", as in redis.conf. The pubsub class has its own
// option (parse_output_buffer_sizes); others (replica) do not exist here and are refused.
// Returns an error message, empty on success.
std::string parse_output_buffer_limit(std::string_view text, OutputBufferLimit* out);
// "<hard> <soft> <soft-seconds>" (--client-output-buffer-limit-pubsub).
std::string parse_output_buffer_sizes(std::string_view text, OutputBufferLimit* out);
// As CONFIG GET prints it: "normal 268435456 67108864 60", and with the pubsub class
// "normal 268435456 67108864 60 pubsub 33554432 8388608 60".
std::string format_output_buffer_limit(const OutputBufferLimit& limit);
std::string format_output_buffer_limit(const OutputBufferLimit& normal,
                                       const OutputBufferLimit& pubsub);

// protected-mode: with no password (raftkv has none), only clients on a loopback address
// (127.0.0.0/8, ::1, or IPv4-mapped loopback) are served.
bool protected_mode_allows(const asio::ip::address& peer);

// Raises this process's open-file limit to fit `maxclients` plus files and peers (as
// Redis does at startup); if the system refuses, warns and returns the maxclients that fit.
uint64_t reserve_file_descriptors(uint64_t maxclients);

// Redis's replies to a connection refused at accept (written once, then the connection
// is closed): too many clients, and protected mode (Redis 7.0's text, word for word).
extern const std::string_view kMaxClientsError;
extern const std::string_view kProtectedModeError;

}  // namespace raftkv::server
