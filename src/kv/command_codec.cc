#include "kv/command_codec.h"

#include "kv/byte_codec.h"

namespace raftkv::kv {

namespace {

void write_strings(ByteWriter& w, const std::vector<std::string>& strings) {
  w.varint(strings.size());
  for (const auto& s : strings) w.bytes(s);
}

// `min` is the fewest strings allowed. Each string takes at least its one-byte length: a
// larger count is a lie, and checking it first keeps a corrupt count from reserving memory.
bool read_strings(ByteReader& r, std::vector<std::string>* out, uint64_t min) {
  uint64_t n = 0;
  if (!r.varint(&n) || n < min || n > r.remaining()) return false;
  out->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view s;
    if (!r.bytes(&s)) return false;
    out->emplace_back(s);
  }
  return true;
}

std::string encode_transaction(const LogCommand& command) {
  std::string out;
  ByteWriter w(&out);
  w.u8(kLogTransactionVersion);
  w.varint(command.session_id);
  w.varint(command.seq);
  w.varint(command.time_ms);
  w.varint(command.watch_index);
  write_strings(w, command.watched);
  w.varint(command.queued.size());
  for (const Argv& argv : command.queued) write_strings(w, argv);
  return out;
}

bool decode_transaction(ByteReader& r, LogCommand& command) {
  uint64_t count = 0;
  if (!r.varint(&command.watch_index) || !read_strings(r, &command.watched, 0) ||
      !r.varint(&count) || count > r.remaining()) {
    return false;
  }
  command.queued.resize(count);
  for (Argv& argv : command.queued) {
    if (!read_strings(r, &argv, 1)) return false;
  }
  if (!r.at_end()) return false;
  command.transaction = true;
  command.argv = {"EXEC"};
  return true;
}

// Decodes in place (the caller's LogCommand is not moved: that costs on every apply).
bool decode_into(std::string_view bytes, LogCommand& command) {
  ByteReader r(bytes);
  uint8_t version = 0;
  if (!r.u8(&version) || (version != kLogCommandVersion && version != kLogTransactionVersion)) {
    return false;
  }
  if (!r.varint(&command.session_id) || !r.varint(&command.seq) || !r.varint(&command.time_ms)) {
    return false;
  }
  if (version == kLogTransactionVersion) return decode_transaction(r, command);
  return read_strings(r, &command.argv, 1) && r.at_end();
}

}  // namespace

std::string encode_log_command(const LogCommand& command) {
  if (!command.user.empty()) {
    LogCommand inner = command;
    inner.user.clear();
    std::string out;
    ByteWriter w(&out);
    w.u8(kLogUserVersion);
    w.bytes(command.user);
    return out + encode_log_command(inner);
  }
  if (command.transaction) return encode_transaction(command);
  size_t size = 32;
  for (const auto& arg : command.argv) size += arg.size() + 5;
  std::string out;
  out.reserve(size);
  ByteWriter w(&out);
  w.u8(kLogCommandVersion);
  w.varint(command.session_id);
  w.varint(command.seq);
  w.varint(command.time_ms);
  w.varint(command.argv.size());
  for (const auto& arg : command.argv) w.bytes(arg);
  return out;
}

std::optional<LogCommand> decode_log_command(std::string_view bytes) {
  std::optional<LogCommand> command(std::in_place);
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == kLogUserVersion) {
    // A restricted user's EVAL or EXEC: the user's name, then the command itself.
    ByteReader r(bytes.substr(1));
    std::string_view user;
    if (!r.bytes(&user) || user.empty()) return std::nullopt;
    const std::string_view rest = bytes.substr(bytes.size() - r.remaining());
    if (rest.empty() || static_cast<uint8_t>(rest[0]) == kLogUserVersion) return std::nullopt;
    if (!decode_into(rest, *command)) return std::nullopt;
    command->user = std::string(user);
    return command;
  }
  if (!decode_into(bytes, *command)) command.reset();
  return command;
}

std::optional<std::string_view> peek_log_command_key(std::string_view bytes) {
  if (!bytes.empty() && static_cast<uint8_t>(bytes[0]) == kLogUserVersion) {
    ByteReader user(bytes.substr(1));
    std::string_view name;
    if (!user.bytes(&name)) return std::nullopt;
    const std::string_view rest = bytes.substr(bytes.size() - user.remaining());
    if (!rest.empty() && static_cast<uint8_t>(rest[0]) == kLogUserVersion) return std::nullopt;
    return peek_log_command_key(rest);
  }
  ByteReader r(bytes);
  uint8_t version = 0;
  uint64_t skip = 0, argc = 0;
  std::string_view name, key;
  if (!r.u8(&version) || version != kLogCommandVersion) return std::nullopt;
  if (!r.varint(&skip) || !r.varint(&skip) || !r.varint(&skip) || !r.varint(&argc)) {
    return std::nullopt;
  }
  if (argc < 2 || !r.bytes(&name) || !r.bytes(&key)) return std::nullopt;
  return key;
}

}  // namespace raftkv::kv
