#include "sim/history.h"

namespace raftkv::sim {

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::kPending:
      return "pending";
    case Outcome::kOk:
      return "ok";
    case Outcome::kFailed:
      return "failed";
    case Outcome::kUnknown:
      return "unknown";
  }
  return "?";
}

std::string Operation::describe() const {
  std::string out = "op" + std::to_string(id) + " c" + std::to_string(command.client) + " " +
                    sim::describe(command) + " [" + std::to_string(invoke) + ", ";
  out += complete == kNever ? std::string("inf") : std::to_string(complete);
  out += "] ";
  out += to_string(outcome);
  if (outcome == Outcome::kOk) out += " -> '" + result + "'";
  return out;
}

}  // namespace raftkv::sim
