// The fuzz targets: each takes one input and must neither crash nor break its invariant
// (checked with FUZZ_CHECK, which aborts). Built twice: as libFuzzer binaries in the
// clang build (-DRAFTKV_FUZZ=ON, scripts/fuzz.sh), and into fuzz_replay_tests in every
// build, which replays the committed corpora and the inputs of past crashes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

namespace raftkv::fuzz {

// The RESP request parser: fed whole and in pieces (the first byte picks their size).
int resp_parser(const uint8_t* data, size_t size);
// A peer connection's inbound bytes: frames, the handshake, then raft::Messages.
int peer_decoder(const uint8_t* data, size_t size);
// The write-ahead log reader: a segment file (records framed from the input, with valid
// checksums, then possibly damaged) opened by DurableStorage, and raw bytes scanned.
int wal_reader(const uint8_t* data, size_t size);
// Snapshot readers: the kv state machine's image, the server's image, the snapshot file.
int snapshot_reader(const uint8_t* data, size_t size);
// RESTORE's decoder: a DUMP payload body (RDB type byte and value), re-encoded if it decodes.
int rdb_payload(const uint8_t* data, size_t size);

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};
inline constexpr Target kTargets[] = {
    {"resp_parser", resp_parser}, {"peer_decoder", peer_decoder},
    {"wal_reader", wal_reader},   {"snapshot_reader", snapshot_reader},
    {"rdb_payload", rdb_payload},
};

inline std::string_view as_chars(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace raftkv::fuzz
