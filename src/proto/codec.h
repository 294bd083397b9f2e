// Encoding of the Raft core's value types as protobuf bytes (schema: raft.proto).
// Decoders never throw or crash on bad input: they return false and leave *out unspecified.
// Values outside the C++ enums (an unknown entry or message type) also fail to decode.
#pragma once

#include <string>
#include <string_view>

#include "raft/types.h"

namespace raftkv::proto {

std::string encode(const raft::Entry& e);
std::string encode(const raft::HardState& hs);
std::string encode(const raft::ConfState& cs);
std::string encode(const raft::SnapshotMeta& meta);
std::string encode(const raft::Snapshot& snap);
std::string encode(const raft::Message& m);

// Append the encoding to *out instead of returning a new string (the log's and the
// transport's hot paths: no second buffer and copy).
void encode_to(const raft::Entry& e, std::string* out);
void encode_to(const raft::Message& m, std::string* out);

bool decode(std::string_view bytes, raft::Entry* out);
bool decode(std::string_view bytes, raft::HardState* out);
bool decode(std::string_view bytes, raft::ConfState* out);
bool decode(std::string_view bytes, raft::SnapshotMeta* out);
bool decode(std::string_view bytes, raft::Snapshot* out);
bool decode(std::string_view bytes, raft::Message* out);

}  // namespace raftkv::proto
