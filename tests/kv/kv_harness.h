// A single-replica stand-in for the server: classifies a command and routes it exactly as
// the server will (writes through encode/apply, reads through read(), local commands
// through execute_local), so tests exercise the same paths end to end.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>

#include "kv/command_codec.h"
#include "kv/commands.h"
#include "kv/local_commands.h"
#include "kv/resp_writer.h"
#include "kv/state_machine.h"

namespace raftkv::kv::testing {

class KvHarness {
 public:
  explicit KvHarness(StateMachineOptions options = {}) : sm(options) {}

  std::string run(const Argv& argv) {
    const Classification c = classify(argv);
    if (!c.ok()) return encode_error(c.error);
    std::string reply;
    RespWriter out(&reply);
    switch (c.route) {
      case Route::kWrite:
        return sm.apply(++index, encode_log_command(make_log_command(argv, c, time_ms)));
      case Route::kRead:
        sm.read(argv, time_ms, &out);
        return reply;
      case Route::kLocal:
        execute_local(*c.spec, argv, &client, &out);
        return reply;
      case Route::kServer:
        return "(server)";
    }
    return reply;
  }

  StateMachine sm;
  ClientState client{7, ""};
  uint64_t index = 0;
  uint64_t time_ms = 1'000'000;
};

// The RESP array of these bulk strings: an expected reply, or a request as clients send it.
template <typename Range>
std::string bulks_of(const Range& items) {
  std::string out;
  RespWriter w(&out);
  w.array_header(std::size(items));
  for (const auto& item : items) w.bulk(item);
  return out;
}
inline std::string bulks(std::initializer_list<std::string_view> items) {
  return bulks_of(items);
}

}  // namespace raftkv::kv::testing
