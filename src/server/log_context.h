// What every log line carries besides the message: the node id (fixed at start) and the
// node's current Raft term, kept here by the server and read by the log formatter.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <spdlog/logger.h>

namespace raftkv::server {

// The term shown in log lines (relaxed: a line may show the term of a moment ago).
inline std::atomic<uint64_t> g_log_term{0};

// A logger writing "time [node N term T] [level] message" to stderr.
std::shared_ptr<spdlog::logger> make_node_logger(uint64_t node_id);

}  // namespace raftkv::server
