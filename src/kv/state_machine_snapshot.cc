// StateMachine::serialize / restore: the state machine's snapshot image.
//
// Layout (integers are LEB128 varints unless noted):
//   "RKVSNAP8"                    magic and format version (8 bytes)
//   applied_index, log_time_ms
//   key_count, then key_count x (key bytes, type u8, value, encoding u8)   in KvStore
//                                 order; the type is a ValueType, the value as
//                                 value_codec.h encodes it (for a string: its bytes), the
//                                 encoding its encoding_state (value_codec.h)
//   session_count, then session_count x
//     (id, last_seq, last_used_index, last_used_ms, last_reply bytes)   in id order
//   expiry_count, then expiry_count x (key bytes, deadline ms)          in key order
//   changed_count, then changed_count x (gap, log index)   WATCH's buckets (watch_versions.h)
//                                 that are not 0, in bucket order: gap = bucket number minus
//                                 the previous one's plus one (the first: its number)
//   script_count, then script_count x (body bytes)   the script cache, in order of the
//                                 bodies' SHA-1 (each sha is computed from its body)
//   user_count, then user_count x (name bytes, rule_count, rule_count x rule bytes)
//                                 the ACL users in name order, each as the rules that
//                                 rebuild it (describe_acl_rules in acl.h: canonical)
//   library_count, then library_count x (code bytes)   the function libraries in name
//                                 order, each as its FUNCTION LOAD code (loading it again
//                                 rebuilds its functions: function_library.h)
//   checksum                      XXH3-64 of everything before it (fixed 8 bytes, LE)
// Version 7 ("RKVSNAP7", before encodings) has no encoding byte, and hash fields in field
// order: restored, each value gets the encoding Redis would give it on loading, and each
// hash its fields in field order.
// Version 6 ("RKVSNAP6", before functions) has no library section: it restores with none.
// Version 5 ("RKVSNAP5", before ACL users) has no user section: it restores with the
// default user alone.
// Version 4 ("RKVSNAP4", before scripts) has no script section: it restores with an empty
// script cache.
// Version 3 ("RKVSNAP3", before WATCH) has no bucket section; restored, every bucket is
// set to the applied index (a transaction watching from before it aborts, never wrongly
// commits).
// Version 2 ("RKVSNAP2", before typed values) has no type byte: every value is a string.
// Version 1 ("RKVSNAP1") is version 2 without the expiry section. Both are still read.
// All orders are canonical, so equal states serialize to equal bytes on every replica.
#include <xxhash.h>

#include <optional>
#include <utility>

#include "kv/byte_codec.h"
#include "kv/state_machine.h"
#include "kv/value_codec.h"

namespace raftkv::kv {

namespace {

constexpr std::string_view kMagic = "RKVSNAP8";
constexpr std::string_view kMagicV7 = "RKVSNAP7";  // before encodings
constexpr std::string_view kMagicV6 = "RKVSNAP6";  // before functions
constexpr std::string_view kMagicV5 = "RKVSNAP5";  // before ACL users
constexpr std::string_view kMagicV4 = "RKVSNAP4";  // before scripts
constexpr std::string_view kMagicV3 = "RKVSNAP3";  // before WATCH
constexpr std::string_view kMagicV2 = "RKVSNAP2";  // before typed values
constexpr std::string_view kMagicV1 = "RKVSNAP1";  // before key expiry
constexpr size_t kChecksumSize = 8;

uint64_t checksum(std::string_view bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

// Sparse: a small or new store has few buckets changed.
void write_watch_versions(const WatchVersions& versions, ByteWriter* w) {
  uint64_t changed = 0;
  for (size_t i = 0; i < WatchVersions::kBuckets; ++i) changed += versions.bucket(i) != 0;
  w->varint(changed);
  size_t next = 0;  // the first bucket number the next gap may name
  for (size_t i = 0; i < WatchVersions::kBuckets; ++i) {
    if (versions.bucket(i) == 0) continue;
    w->varint(i - next);
    w->varint(versions.bucket(i));
    next = i + 1;
  }
}

Status restore_watch_versions(bool present, uint64_t applied, ByteReader* r,
                              WatchVersions* versions) {
  if (!present) {
    versions->touch_all(applied);
    return Status::ok();
  }
  uint64_t changed = 0;
  if (!r->varint(&changed) || changed > WatchVersions::kBuckets) {
    return Status::error("snapshot watch versions truncated or malformed");
  }
  uint64_t next = 0;
  for (uint64_t n = 0; n < changed; ++n) {
    uint64_t gap = 0, index = 0;
    if (!r->varint(&gap) || !r->varint(&index)) {
      return Status::error("snapshot watch versions truncated");
    }
    // Canonical: buckets in order, each at most once, only non-zero, none after `applied`.
    if (gap >= WatchVersions::kBuckets - next || index == 0 || index > applied) {
      return Status::error("snapshot watch versions malformed");
    }
    versions->set_bucket(next + gap, index);
    next += gap + 1;
  }
  return Status::ok();
}

void write_scripts(const ScriptCache& cache, ByteWriter* w) {
  w->varint(cache.size());
  for (const auto& [sha, body] : cache.scripts()) w->bytes(body);
}

Status restore_scripts(bool present, ByteReader* r, ScriptCache* cache) {
  if (!present) return Status::ok();
  uint64_t count = 0;
  if (!r->varint(&count)) return Status::error("snapshot scripts truncated");
  std::string previous;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view body;
    if (!r->bytes(&body)) return Status::error("snapshot scripts truncated");
    std::string sha = cache->add(body);
    // Canonical: in sha order, each once.
    if (i > 0 && sha <= previous) return Status::error("snapshot scripts out of order");
    previous = std::move(sha);
  }
  return Status::ok();
}

void write_functions(const FunctionLibraries& functions, ByteWriter* w) {
  const std::vector<std::string> codes = functions.codes();
  w->varint(codes.size());
  for (const std::string& code : codes) w->bytes(code);
}

Status restore_functions(bool present, const ScriptLimits& limits, ByteReader* r,
                         FunctionLibraries* functions) {
  if (!present) return Status::ok();
  uint64_t count = 0;
  if (!r->varint(&count)) return Status::error("snapshot functions truncated");
  std::string previous;
  for (uint64_t i = 0; i < count; ++i) {
    std::string_view code;
    if (!r->bytes(&code)) return Status::error("snapshot functions truncated");
    std::string name;
    if (std::string error = functions->load(code, false, limits, &name); !error.empty()) {
      return Status::error("snapshot function library does not load: " + error);
    }
    // Canonical: in name order, each once (a repeated one fails to load above).
    if (i > 0 && name <= previous) return Status::error("snapshot functions out of order");
    previous = std::move(name);
  }
  return Status::ok();
}

}  // namespace

std::string StateMachine::serialize() const {
  std::string out;
  ByteWriter w(&out);
  w.raw(kMagic);
  w.varint(applied_index_);
  w.varint(log_time_ms_);
  w.varint(store_.size());
  store_.for_each([&](std::string_view key, const Value& value) {
    w.bytes(key);
    w.u8(static_cast<uint8_t>(type_of(value)));
    encode_value(value, &w);
    w.u8(encoding_state(value));
  });
  w.varint(sessions_.size());
  for (const auto& [id, session] : sessions_.sessions()) {
    w.varint(id);
    w.varint(session.last_seq);
    w.varint(session.last_used_index);
    w.varint(session.last_used_ms);
    w.bytes(session.last_reply);
  }
  w.varint(store_.expires());
  store_.for_each_expiry([&](std::string_view key, uint64_t at) {
    w.bytes(key);
    w.varint(at);
  });
  write_watch_versions(store_.watch_versions(), &w);
  write_scripts(scripts_.cache, &w);
  acl_.serialize(&w);
  write_functions(scripts_.functions, &w);
  w.fixed64(checksum(out));
  return out;
}

Status StateMachine::restore(std::string_view image) {
  if (image.size() < kMagic.size() + kChecksumSize) return Status::error("snapshot truncated");
  const std::string_view body = image.substr(0, image.size() - kChecksumSize);
  ByteReader trailer(image.substr(body.size()));
  uint64_t expected = 0;
  trailer.fixed64(&expected);
  const std::string_view magic = body.substr(0, kMagic.size());
  const bool v1 = magic == kMagicV1;
  const bool encodings = magic == kMagic;
  const bool functions = encodings || magic == kMagicV7;
  const bool users = functions || magic == kMagicV6;
  const bool scripts = users || magic == kMagicV5;
  const bool watch = scripts || magic == kMagicV4;
  const bool typed = watch || magic == kMagicV3;
  if (!typed && magic != kMagicV2 && !v1) {
    return Status::error("not a raftkv state machine snapshot (bad magic or version)");
  }
  if (checksum(body) != expected) return Status::error("snapshot checksum mismatch");

  // Build the new state aside and swap it in only when all of it decoded.
  ByteReader r(body.substr(kMagic.size()));
  uint64_t applied = 0;
  uint64_t log_time = 0;
  uint64_t key_count = 0;
  KvStore store;
  if (!r.varint(&applied) || !r.varint(&log_time) || !r.varint(&key_count)) {
    return Status::error("snapshot header truncated");
  }
  for (uint64_t i = 0; i < key_count; ++i) {
    std::string_view key;
    uint8_t type = static_cast<uint8_t>(ValueType::kString);
    if (!r.bytes(&key) || (typed && !r.u8(&type))) return Status::error("snapshot keys truncated");
    if (type >= kValueTypeCount) return Status::error("snapshot value of an unknown type");
    std::optional<Value> value = decode_value(static_cast<ValueType>(type), &r, !encodings);
    if (!value) return Status::error("snapshot value truncated or malformed");
    uint8_t encoding = 0;
    if (encodings && (!r.u8(&encoding) || !restore_encoding_state(encoding, &*value))) {
      return Status::error("snapshot value encoding truncated or malformed");
    }
    if (!store.append_in_order(key, std::move(*value))) {
      return Status::error("snapshot keys out of order");
    }
  }
  uint64_t session_count = 0;
  SessionTable sessions(options_.sessions);
  if (!r.varint(&session_count)) return Status::error("snapshot sessions truncated");
  // Sections must be in their canonical order, as for keys: equal states have one image
  // (found by fuzzing: sessions or deadlines out of order were accepted and reordered).
  uint64_t previous_id = 0;
  for (uint64_t i = 0; i < session_count; ++i) {
    uint64_t id = 0;
    Session session;
    std::string_view reply;
    if (!r.varint(&id) || !r.varint(&session.last_seq) || !r.varint(&session.last_used_index) ||
        !r.varint(&session.last_used_ms) || !r.bytes(&reply)) {
      return Status::error("snapshot sessions truncated");
    }
    session.last_reply = std::string(reply);
    if (i > 0 && id <= previous_id) return Status::error("snapshot sessions out of order");
    previous_id = id;
    if (!sessions.insert(id, std::move(session))) {
      return Status::error("snapshot sessions duplicated");
    }
  }
  uint64_t expiry_count = 0;
  if (!v1 && !r.varint(&expiry_count)) return Status::error("snapshot expiries truncated");
  std::string_view previous_key;
  for (uint64_t i = 0; i < expiry_count; ++i) {
    std::string_view key;
    uint64_t at = 0;
    if (!r.bytes(&key) || !r.varint(&at)) return Status::error("snapshot expiries truncated");
    if (i > 0 && key <= previous_key) return Status::error("snapshot expiries out of order");
    previous_key = key;
    if (at == 0 || store.find(key) == nullptr || store.expire_at(key) != 0) {
      return Status::error("snapshot expiry for a missing key, duplicated or zero");
    }
    store.set_expire(key, at);
  }
  if (Status s = restore_watch_versions(watch, applied, &r, &store.watch_versions()); !s.is_ok()) {
    return s;
  }
  ScriptCache cache;
  if (Status s = restore_scripts(scripts, &r, &cache); !s.is_ok()) return s;
  AclTable acl;
  if (users) {
    if (Status s = AclTable::restore(&r, &acl); !s.is_ok()) return s;
  }
  FunctionLibraries libraries;
  if (Status s = restore_functions(functions, scripts_.limits, &r, &libraries); !s.is_ok()) {
    return s;
  }
  if (!r.at_end()) return Status::error("snapshot has trailing bytes");

  store_ = std::move(store);
  sessions_ = std::move(sessions);
  scripts_.cache = std::move(cache);
  scripts_.functions = std::move(libraries);
  acl_.adopt(std::move(acl));
  applied_index_ = applied;
  log_time_ms_ = log_time;
  return Status::ok();
}

}  // namespace raftkv::kv
