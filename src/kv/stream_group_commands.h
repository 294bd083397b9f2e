// Consumer groups: XGROUP, XREADGROUP, XACK, XCLAIM, XAUTOCLAIM (writes), XPENDING and
// XINFO (reads). Through stream_commands.h, which dispatches here.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kv/command_support.h"
#include "kv/commands.h"
#include "kv/kv_store.h"
#include "kv/resp_writer.h"

namespace raftkv::kv {

std::string validate_stream_group_arguments(const CommandSpec& spec,
                                            std::span<const std::string> argv);

void execute_stream_group_read(const KvStore& store, const CommandSpec& spec,
                               std::span<const std::string> argv, uint64_t now, RespWriter* out);

void execute_stream_group_write(KvStore& store, const CommandSpec& spec,
                                std::span<const std::string> argv, const WriteContext& context,
                                RespWriter* out);

}  // namespace raftkv::kv
