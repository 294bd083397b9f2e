#!/usr/bin/env bash
# Builds the libFuzzer targets (clang 16, with ASan + UBSan; clang 14 cannot compile the
# project's lambdas that capture structured bindings) in build/fuzz and runs each for a
# bounded time, starting from the committed seeds (tests/fuzz/corpus/<target>/) plus what
# earlier runs found (build/fuzz/corpus/<target>/). Exits non-zero on the first crash,
# leaving the input in build/fuzz/artifacts/. docs/security.md, "Fuzzing", says more.
# Usage: scripts/fuzz.sh [seconds per target, default 25] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-25}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then targets=(resp_parser peer_decoder wal_reader snapshot_reader rdb_payload); fi
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"

cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++-16 -DRAFTKV_FUZZ=ON -DRAFTKV_JEMALLOC=OFF -DRAFTKV_WERROR=OFF \
  >/dev/null
cmake --build build/fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"

mkdir -p build/fuzz/artifacts
for t in "${targets[@]}"; do
  mkdir -p "build/fuzz/corpus/$t"
  echo "== fuzz_$t for ${seconds}s"
  # New inputs go to the first directory; the committed seeds are only read.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "build/fuzz/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="build/fuzz/artifacts/$t-" \
    "build/fuzz/corpus/$t" "tests/fuzz/corpus/$t" 2>&1 | grep -Ev '^#[0-9]+\s+(NEW|REDUCE|pulse)' || {
    echo "fuzz_$t found a crash: the input is in build/fuzz/artifacts/$t-*; fix it and add the"
    echo "input to tests/fuzz/regressions/$t/ (fuzz_replay_tests replays it in every build)"
    exit 1
  }
done
echo "== fuzzing passed"
