#include "sim/run_summary.h"

#include <algorithm>
#include <cstdio>

namespace raftkv::sim {

void RunSummary::add(const SimResult& r) {
  ++runs_;
  if (!r.ok()) failed_seeds_.push_back(r.seed);
  const SimStats& s = r.stats;
  election_ticks_.insert(election_ticks_.end(), s.election_ticks.begin(), s.election_ticks.end());
  events_ += s.events;
  messages_ += s.messages;
  ops_ok_ += s.ops_ok;
  ops_failed_ += s.ops_failed;
  ops_unknown_ += s.ops_unknown;
  elections_ += s.elections;
  split_votes_ += s.split_votes;
  faults_ += s.faults;
  conf_changes_ += s.conf_changes;
  compactions_ += s.compactions;
  snapshots_sent_ += s.snapshots_sent;
  snapshots_installed_ += s.snapshots_installed;
  rewrites_staged_ += s.rewrites_staged;
  if (s.linearizable == Linearizable::kUnknown) ++lin_unknown_;
}

std::string RunSummary::describe(double seconds) const {
  char buf[512];
  std::string out;
  std::snprintf(buf, sizeof buf, "%llu seeds, %zu failed, %.1f s, %.1f seeds/s, %.2fM events/s\n",
                static_cast<unsigned long long>(runs_), failed_seeds_.size(), seconds,
                seconds > 0 ? static_cast<double>(runs_) / seconds : 0.0,
                seconds > 0 ? static_cast<double>(events_) / seconds / 1e6 : 0.0);
  out += buf;
  std::snprintf(
      buf, sizeof buf,
      "operations: %llu ok, %llu failed, %llu unknown; %llu faults injected; "
      "linearizability undecided in %llu runs\n",
      static_cast<unsigned long long>(ops_ok_), static_cast<unsigned long long>(ops_failed_),
      static_cast<unsigned long long>(ops_unknown_), static_cast<unsigned long long>(faults_),
      static_cast<unsigned long long>(lin_unknown_));
  out += buf;
  std::snprintf(
      buf, sizeof buf, "elections: %llu terms with a candidate, %llu split (%.1f%%)\n",
      static_cast<unsigned long long>(elections_), static_cast<unsigned long long>(split_votes_),
      elections_ ? 100.0 * static_cast<double>(split_votes_) / static_cast<double>(elections_)
                 : 0.0);
  out += buf;
  if (conf_changes_ > 0) {
    out += "membership changes and transfers accepted: " + std::to_string(conf_changes_) + "\n";
  }
  if (rewrites_staged_ > 0) {
    out += "rewrite choreographies played to the end: " + std::to_string(rewrites_staged_) + "\n";
  }
  if (compactions_ > 0) {
    std::snprintf(
        buf, sizeof buf,
        "snapshots: %llu compactions, %llu InstallSnapshot sent, %llu installed "
        "(%.1f per run)\n",
        static_cast<unsigned long long>(compactions_),
        static_cast<unsigned long long>(snapshots_sent_),
        static_cast<unsigned long long>(snapshots_installed_),
        runs_ ? static_cast<double>(snapshots_installed_) / static_cast<double>(runs_) : 0.0);
    out += buf;
  }
  if (!election_ticks_.empty()) {
    std::vector<int> t = election_ticks_;
    std::sort(t.begin(), t.end());
    auto pct = [&t](double p) {
      return t[std::min(t.size() - 1, static_cast<size_t>(p * t.size()))];
    };
    std::snprintf(buf, sizeof buf,
                  "ticks to elect a leader after a leader crash (%zu samples): min %d, "
                  "p50 %d, p90 %d, p99 %d, max %d\n",
                  t.size(), t.front(), pct(0.5), pct(0.9), pct(0.99), t.back());
    out += buf;
  }
  if (!failed_seeds_.empty()) {
    out += "failing seeds:";
    for (size_t i = 0; i < failed_seeds_.size() && i < 20; ++i) {
      out += " " + std::to_string(failed_seeds_[i]);
    }
    out += "\n";
  }
  return out;
}

}  // namespace raftkv::sim
