#!/usr/bin/env bash
# Sets up, builds and runs every test: a normal build (then the core installed as a library,
# scripts/test_install.sh, and clang-tidy on the core and storage), an AddressSanitizer +
# UndefinedBehaviorSanitizer build, a ThreadSanitizer build of the server and transport
# tests, then each libFuzzer target for a bounded time (scripts/fuzz.sh).
# Usage: scripts/test.sh [--no-sanitize] [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

sanitize=1
if [[ "${1:-}" == "--no-sanitize" ]]; then sanitize=0; shift; fi
jobs=$(nproc)
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

configure_and_build() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

echo "== release build"
configure_and_build build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFTKV_WERROR=ON
ctest --test-dir build/release --output-on-failure -j"$jobs" "$@"

echo "== the Raft core as an installed library (scripts/test_install.sh)"
./scripts/test_install.sh

echo "== clang-tidy on the core and storage (scripts/clang-tidy.sh)"
./scripts/clang-tidy.sh build/release

if ((sanitize)); then
  echo "== sanitizer build (ASan + UBSan)"
  configure_and_build build/sanitize -DCMAKE_BUILD_TYPE=Debug -DRAFTKV_SANITIZE=ON -DRAFTKV_WERROR=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/sanitize --output-on-failure -j"$jobs" -LE no-sanitize "$@"

  # Only the tests of the threaded code (the server's io, disk and worker threads, the
  # transport), so the extra build stays within a few minutes. It does catch races: with
  # the lock in DiskWriter::saves() dropped, DiskWriterTest.CountersAreReadWhileTheDisk-
  # ThreadSaves fails with a data race report.
  echo "== ThreadSanitizer build (server and transport tests)"
  cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFTKV_TSAN=ON \
    -DRAFTKV_WERROR=ON >/dev/null
  cmake --build build/tsan -j"$jobs" --target server_tests net_tests
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
  build/tsan/tests/net/net_tests --gtest_brief=1
  build/tsan/tests/server/server_tests --gtest_brief=1
  unset TSAN_OPTIONS
fi
# Bounded fuzzing (about 20 s per target plus the clang build; RAFTKV_FUZZ_SECONDS=0 skips).
fuzz_seconds="${RAFTKV_FUZZ_SECONDS:-20}"
if ((fuzz_seconds > 0)); then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  ./scripts/fuzz.sh "$fuzz_seconds"
fi
echo "== all tests passed"
