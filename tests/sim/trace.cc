#include "sim/trace.h"

#include <utility>

namespace raftkv::sim {

std::string format_message(const raft::Message& m) {
  std::string out = raft::to_string(m.type);
  out += ' ' + std::to_string(m.from) + "->" + std::to_string(m.to) + " t" + std::to_string(m.term);
  switch (m.type) {
    case raft::MessageType::kApp:
      out += " i" + std::to_string(m.index) + "/" + std::to_string(m.log_term) + " n" +
             std::to_string(m.entries.size());
      if (!m.entries.empty()) {
        out += "[" + std::to_string(m.entries.front().index) + ".." +
               std::to_string(m.entries.back().index) + " t" +
               std::to_string(m.entries.back().term) + "]";
      }
      out += " c" + std::to_string(m.commit);
      break;
    case raft::MessageType::kAppResp:
      out += " i" + std::to_string(m.index);
      if (m.reject)
        out += " REJECT hint " + std::to_string(m.reject_hint) + "/" + std::to_string(m.hint_term);
      break;
    case raft::MessageType::kVote:
    case raft::MessageType::kPreVote:
      out += " last " + std::to_string(m.index) + "/" + std::to_string(m.log_term);
      break;
    case raft::MessageType::kVoteResp:
    case raft::MessageType::kPreVoteResp:
      out += m.reject ? " REJECT" : " GRANT";
      break;
    case raft::MessageType::kHeartbeat:
      out += " c" + std::to_string(m.commit) + " r" + std::to_string(m.read_seq);
      break;
    case raft::MessageType::kHeartbeatResp:
      out += " r" + std::to_string(m.read_seq);
      break;
    case raft::MessageType::kReadIndex:
      out += " ctx " + m.context;
      break;
    case raft::MessageType::kReadIndexResp:
      out += " i" + std::to_string(m.index) + " ctx " + m.context;
      break;
    case raft::MessageType::kSnapshot:
      if (m.snapshot) out += " snap " + std::to_string(m.snapshot->meta.index);
      break;
    default:  // the type and the endpoints say it all; new types need no edit here
      break;
  }
  return out;
}

std::string Trace::format(const Line& line) {
  std::string out = "t=" + std::to_string(line.t / kTick) + "." +
                    std::to_string(line.t % kTick / 10) + std::to_string(line.t % 10) + " ";
  if (line.what != nullptr) {
    out += line.what;
    out += ' ';
    out += format_message(line.m);
  } else {
    out += line.text;
  }
  return out;
}

void Trace::push(Line line) {
  ++count_;
  if (out_ != nullptr || keep_all_) {
    std::string text = format(line);
    if (out_ != nullptr) *out_ << text << '\n';
    if (keep_all_) all_.push_back(std::move(text));
  }
  if (ring_.empty()) return;
  ring_[next_] = std::move(line);
  next_ = (next_ + 1) % ring_.size();
}

void Trace::note(Time t, std::string text) {
  Line line;
  line.t = t;
  line.text = std::move(text);
  push(std::move(line));
}

void Trace::message(Time t, const char* what, const raft::Message& m) {
  Line line;
  line.t = t;
  line.what = what;
  line.m = m;
  // Entry data and snapshot images are irrelevant to a trace and can be large.
  for (auto& e : line.m.entries) e.data.clear();
  if (line.m.snapshot) line.m.snapshot->data.clear();
  push(std::move(line));
}

std::string Trace::tail() const {
  std::string out;
  size_t n = ring_.size();
  for (size_t i = 0; i < n; ++i) {
    const Line& line = ring_[(next_ + i) % n];
    if (line.what == nullptr && line.text.empty()) continue;  // unused slot
    out += "  " + format(line) + "\n";
  }
  return out;
}

}  // namespace raftkv::sim
