#!/usr/bin/env bash
# The Raft core as a library, the way an outside project gets it:
#   1. configure raftkv with only the core (no tests, server or tools: so none of
#      GoogleTest, asio, protobuf, spdlog, OpenSSL is looked for), build it and
#      `cmake --install` it into a temporary prefix;
#   2. build examples/embed, copied out of the tree, as its own project against that
#      prefix with find_package(raftkv), and run it;
#   3. build examples/counter, which takes raftkv with add_subdirectory, and run it.
# Called by scripts/test.sh. Usage: scripts/test_install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD
work=$(mktemp -d /tmp/raftkv-lib-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "test_install: $*" >&2; exit 1; }
jobs=$(nproc)
gen=()
if command -v ninja >/dev/null 2>&1; then gen=(-G Ninja); fi

echo "-- the core alone: configure, build, install into $work/prefix"
cmake -S "$src" -B "$work/core" "${gen[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRAFTKV_BUILD_TESTS=OFF -DRAFTKV_BUILD_SERVER=OFF -DRAFTKV_BUILD_EXAMPLES=OFF \
  -DRAFTKV_INSTALL=ON -DRAFTKV_WERROR=ON >"$work/core.log" || { cat "$work/core.log"; fail "configure"; }
if grep -qiE 'GTest|asio|protobuf|spdlog|OpenSSL' "$work/core/CMakeCache.txt"; then
  fail "configuring the core alone looked for a server or test dependency"
fi
cmake --build "$work/core" -j"$jobs" >/dev/null
cmake --install "$work/core" --prefix "$work/prefix" >/dev/null
for f in include/raftkv/raft/node.h include/raftkv/raft/version.h include/raftkv/raft/result.h \
         lib/cmake/raftkv/raftkvConfig.cmake lib/cmake/raftkv/raftkvConfigVersion.cmake; do
  [[ -f $work/prefix/$f ]] || fail "missing $f in the installed tree"
done
ls "$work"/prefix/lib*/libraftkv_raft.a >/dev/null 2>&1 || fail "no libraftkv_raft.a installed"
# The internals (raft.h, raft_log.h, the test seam) stay out of the installed headers.
if find "$work/prefix/include" -name 'raft_log.h' -o -name 'testing.h' | grep -q .; then
  fail "internal headers were installed"
fi

echo "-- examples/embed as an outside project with find_package(raftkv)"
cp -r "$src/examples/embed" "$work/embed"
cmake -S "$work/embed" -B "$work/embed-build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
  >/dev/null
cmake --build "$work/embed-build" -j"$jobs" >/dev/null
"$work/embed-build/raftkv-embed" || fail "raftkv-embed failed"

echo "-- examples/counter with add_subdirectory"
cmake -S "$src/examples/counter" -B "$work/counter-build" "${gen[@]}" >/dev/null
cmake --build "$work/counter-build" -j"$jobs" >/dev/null
"$work/counter-build/raftkv-counter" || fail "raftkv-counter failed"
if [[ -f $work/counter-build/raftkv/CMakeCache.txt ]] ||
  grep -qiE 'GTest_DIR|asio' "$work/counter-build/CMakeCache.txt"; then
  fail "add_subdirectory(raftkv) looked for a server or test dependency"
fi
echo "-- install test passed"
