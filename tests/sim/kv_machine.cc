#include "sim/kv_machine.h"

#include <cassert>
#include <functional>

namespace raftkv::sim {

std::string KvMachine::apply(const raft::Entry& entry) {
  assert(entry.index == applied_ + 1);
  applied_ = entry.index;
  // No-ops of new leaders, and configuration entries, which belong to the core.
  if (entry.data.empty() || entry.type != raft::EntryType::kNormal) return {};
  auto cmd = decode(entry.data);
  if (!cmd) return "malformed";
  LastWrite& last = last_write_[cmd->client];
  if (cmd->seq < last.seq) return "stale";
  if (cmd->seq == last.seq) return last.result;
  std::string& value = data_[cmd->key];
  std::string result = "ok";
  switch (cmd->op) {
    case KvOp::kGet:
      result = value;
      break;
    case KvOp::kPut:
      value = cmd->arg;
      break;
    case KvOp::kAppend:
      value += cmd->arg;
      break;
    case KvOp::kCas:
      if (value == cmd->expected) {
        value = cmd->arg;
      } else {
        result = "fail";
      }
      break;
  }
  last = LastWrite{cmd->seq, result};
  return result;
}

std::string KvMachine::get(const std::string& key) const {
  auto it = data_.find(key);
  return it == data_.end() ? std::string() : it->second;
}

uint64_t KvMachine::digest() const {
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ULL; };
  std::hash<std::string> hs;
  for (const auto& [k, v] : data_) {
    if (v.empty()) continue;  // an empty value and an absent key read the same
    mix(hs(k));
    mix(hs(v));
  }
  for (const auto& [client, last] : last_write_) {
    mix(client);
    mix(last.seq);
    mix(hs(last.result));
  }
  mix(applied_);
  return h;
}

}  // namespace raftkv::sim
