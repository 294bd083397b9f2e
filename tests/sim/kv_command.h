// The commands of the simulator's key-value state machine, and their encoding in Raft entry
// data. Each command carries its client's id and sequence number so the state machine can
// apply a retried command at most once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace raftkv::sim {

enum class KvOp : uint8_t {
  kGet,     // read the value (served through ReadIndex, never proposed)
  kPut,     // value := arg
  kAppend,  // value := value + arg
  kCas,     // if value == expected then value := arg; result "ok" or "fail"
};
const char* to_string(KvOp op);

struct KvCommand {
  uint64_t client = 0;
  uint64_t seq = 0;
  KvOp op = KvOp::kGet;
  std::string key;
  std::string arg;
  std::string expected;  // kCas only

  bool operator==(const KvCommand&) const = default;
};

// Text encoding "client|seq|op|key|arg|expected"; keys and values never contain '|'.
std::string encode(const KvCommand& c);
std::optional<KvCommand> decode(const std::string& data);

// What a command looks like in a trace: "put k1=3.7" or "cas k2 3.1->3.9".
std::string describe(const KvCommand& c);

}  // namespace raftkv::sim
