#include "kv/command_codec.h"

#include "kv/byte_codec.h"

namespace raftkv::kv {

std::string encode_log_command(const LogCommand& command) {
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
  ByteReader r(bytes);
  LogCommand command;
  uint8_t version = 0;
  uint64_t argc = 0;
  if (!r.u8(&version) || version != kLogCommandVersion) return std::nullopt;
  if (!r.varint(&command.session_id) || !r.varint(&command.seq) || !r.varint(&command.time_ms) ||
      !r.varint(&argc)) {
    return std::nullopt;
  }
  // Each argument takes at least its one-byte length: a larger count is a lie, and
  // checking it first keeps a corrupt count from reserving memory.
  if (argc == 0 || argc > r.remaining()) return std::nullopt;
  command.argv.reserve(argc);
  for (uint64_t i = 0; i < argc; ++i) {
    std::string_view arg;
    if (!r.bytes(&arg)) return std::nullopt;
    command.argv.emplace_back(arg);
  }
  if (!r.at_end()) return std::nullopt;
  return command;
}

std::optional<std::string_view> peek_log_command_key(std::string_view bytes) {
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
