#!/usr/bin/env bash
# The Raft core must stay deterministic: no threads, sockets, files, clocks or global
# randomness in src/raft. Run by CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
pattern='#include *<(asio|asio/.*|thread|mutex|condition_variable|future|atomic|fstream|filesystem|chrono|ctime|cstdio|iostream|sys/.*|unistd\.h|fcntl\.h|spdlog/.*)>'
# check.cc is the fail-stop path: it may print its message to stderr before aborting.
if grep -rnE --exclude=check.cc "$pattern" src/raft include/raftkv; then
  echo "src/raft includes I/O, threads or clocks (above)" >&2
  exit 1
fi
if grep -rnE '\b(std::random_device|rand\(\)|srand\(|time\(nullptr\)|system_clock|steady_clock)' src/raft include/raftkv; then
  echo "src/raft uses a clock or unseeded randomness (above)" >&2
  exit 1
fi
echo "src/raft is free of I/O, threads and clocks"
