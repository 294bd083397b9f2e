#include "server/log_context.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <string>

namespace raftkv::server {

namespace {

class TermFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string term = std::to_string(g_log_term.load(std::memory_order_relaxed));
    dest.append(term.data(), term.data() + term.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<TermFlag>();
  }
};

}  // namespace

std::shared_ptr<spdlog::logger> make_node_logger(uint64_t node_id) {
  auto logger = spdlog::stderr_color_mt("raftkv");
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<TermFlag>('*').set_pattern("%Y-%m-%d %H:%M:%S.%e [node " +
                                                 std::to_string(node_id) + " term %*] [%^%l%$] %v");
  logger->set_formatter(std::move(formatter));
  return logger;
}

}  // namespace raftkv::server
