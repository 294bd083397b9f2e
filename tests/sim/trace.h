// The run's trace: every event the simulator performs, as one line of text. Lines are
// kept in a ring of the last N (printed around a failure), and optionally streamed in full
// (`raftkv-sim --trace`). Message lines are formatted only when someone will read them,
// because formatting every delivery would dominate the simulator's cost.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "raft/types.h"
#include "sim/sim_time.h"

namespace raftkv::sim {

class Trace {
 public:
  explicit Trace(size_t keep = 60) : ring_(keep) {}

  // Streams every line to `out` as well (nullptr: ring only).
  void set_output(std::ostream* out) { out_ = out; }
  // Also keeps every line, for tests that compare two runs.
  void set_keep_all(bool keep) { keep_all_ = keep; }

  void note(Time t, std::string text);
  void message(Time t, const char* what, const raft::Message& m);

  // The last lines, oldest first.
  std::string tail() const;
  const std::vector<std::string>& all() const { return all_; }
  uint64_t lines() const { return count_; }

 private:
  struct Line {
    Time t = 0;
    std::string text;            // set for notes
    const char* what = nullptr;  // set for messages
    raft::Message m;             // the message, without entry data
  };
  void push(Line line);
  static std::string format(const Line& line);

  std::vector<Line> ring_;
  size_t next_ = 0;
  uint64_t count_ = 0;
  std::ostream* out_ = nullptr;
  bool keep_all_ = false;
  std::vector<std::string> all_;
};

// "App 1->2 t3 i5/2 n2 c4": type, endpoints, term, index/log term, entries, commit.
std::string format_message(const raft::Message& m);

}  // namespace raftkv::sim
