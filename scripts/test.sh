#!/usr/bin/env bash
# Sets up, builds and runs every test: a normal build, then an AddressSanitizer +
# UndefinedBehaviorSanitizer build, then each libFuzzer target for a bounded time
# (scripts/fuzz.sh). Usage: scripts/test.sh [--no-sanitize] [ctest args...]
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

if ((sanitize)); then
  echo "== sanitizer build (ASan + UBSan)"
  configure_and_build build/sanitize -DCMAKE_BUILD_TYPE=Debug -DRAFTKV_SANITIZE=ON -DRAFTKV_WERROR=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/sanitize --output-on-failure -j"$jobs" -LE no-sanitize "$@"
fi
# Bounded fuzzing (about 20 s per target plus the clang build; RAFTKV_FUZZ_SECONDS=0 skips).
fuzz_seconds="${RAFTKV_FUZZ_SECONDS:-20}"
if ((fuzz_seconds > 0)); then
  echo "== fuzzing (${fuzz_seconds}s per target)"
  ./scripts/fuzz.sh "$fuzz_seconds"
fi
echo "== all tests passed"
