#include "sim/stream_check.h"

#include <cstdlib>
#include <map>

namespace raftkv::sim {

namespace {

std::pair<uint64_t, uint64_t> split_id(const std::string& id) {
  const size_t dash = id.find('-');
  const uint64_t ms = std::strtoull(id.c_str(), nullptr, 10);
  const uint64_t seq =
      dash == std::string::npos ? 0 : std::strtoull(id.c_str() + dash + 1, nullptr, 10);
  return {ms, seq};
}

std::string op_name(uint64_t op) {
  return "op" + std::to_string(op);
}

// Acknowledged adds are present with their ids; the stream holds only added elements, once.
std::optional<std::string> check_adds(const std::vector<StreamOp>& ops,
                                      const std::map<std::string, std::string>& by_id) {
  std::map<std::string, const StreamOp*> added;  // element -> its XADD (not failed)
  for (const StreamOp& op : ops) {
    if (op.kind == StreamOp::Kind::kAdd && op.outcome != Outcome::kFailed) added[op.element] = &op;
  }
  std::set<std::string> present;
  for (const auto& [id, element] : by_id) {
    if (!added.contains(element)) return "entry " + id + " (" + element + ") was never added";
    if (!present.insert(element).second) return "element " + element + " is in the stream twice";
  }
  for (const auto& [element, op] : added) {
    if (op->outcome != Outcome::kOk) continue;
    auto it = by_id.find(op->id);
    if (it == by_id.end() || it->second != element) {
      return "acknowledged " + op_name(op->op) + " added " + element + " as " + op->id +
             ", which the stream does not hold";
    }
  }
  return std::nullopt;
}

}  // namespace

bool stream_id_less(const std::string& a, const std::string& b) {
  return split_id(a) < split_id(b);
}

std::optional<std::string> check_stream_group(const std::vector<StreamOp>& ops,
                                              const StreamFinal& final_state) {
  const std::map<std::string, std::string> by_id(final_state.entries.begin(),
                                                 final_state.entries.end());
  if (auto err = check_adds(ops, by_id)) return err;
  std::map<std::string, uint64_t> delivered;  // id -> the acknowledged read
  std::map<std::string, uint64_t> ack_ok;     // id -> an acknowledged XACK
  std::set<std::string> ack_any;              // ids with an XACK not known to have failed
  uint64_t unknown_reads = 0;
  for (const StreamOp& op : ops) {
    if (op.kind == StreamOp::Kind::kRead) {
      unknown_reads += op.outcome == Outcome::kUnknown;
      if (op.outcome != Outcome::kOk || !op.delivered) continue;
      auto entry = by_id.find(op.id);
      if (entry == by_id.end() || entry->second != op.element) {
        return op_name(op.op) + " read " + op.id + " as " + op.element +
               ", which is not the stream's entry";
      }
      auto [it, fresh] = delivered.emplace(op.id, op.op);
      if (!fresh)
        return "entry " + op.id + " delivered twice: " + op_name(it->second) + " and " +
               op_name(op.op);
      if (stream_id_less(final_state.last_delivered, op.id)) {
        return op_name(op.op) + " read " + op.id + " beyond the group's last-delivered id " +
               final_state.last_delivered;
      }
    }
    if (op.kind == StreamOp::Kind::kAck && op.outcome != Outcome::kFailed) ack_any.insert(op.id);
    if (op.kind == StreamOp::Kind::kAck && op.outcome == Outcome::kOk) {
      if (op.acked != 1)
        return op_name(op.op) + " acknowledged " + op.id + " but found it not pending";
      ack_ok[op.id] = op.op;
    }
  }
  uint64_t skipped = 0;  // entries up to last-delivered that no acknowledged read got
  for (const auto& [id, element] : by_id) {
    if (!stream_id_less(final_state.last_delivered, id) && !delivered.contains(id)) ++skipped;
  }
  if (skipped > unknown_reads) {
    return std::to_string(skipped) + " entries passed by the group were delivered to no read (" +
           std::to_string(unknown_reads) + " reads of unknown outcome)";
  }
  for (const std::string& id : final_state.pending) {
    if (stream_id_less(final_state.last_delivered, id))
      return "pending " + id + " was never delivered";
    if (ack_ok.contains(id)) return "pending " + id + " was acknowledged by " + op_name(ack_ok[id]);
  }
  for (const auto& [id, read] : delivered) {
    if (!ack_any.contains(id) && !final_state.pending.contains(id)) {
      return "entry " + id + " delivered by " + op_name(read) +
             " and never acknowledged is not pending";
    }
  }
  return std::nullopt;
}

}  // namespace raftkv::sim
