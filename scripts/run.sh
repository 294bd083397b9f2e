#!/usr/bin/env bash
# Sets up, builds and starts a local 3-node raftkv cluster in the foreground.
# Clients: redis-cli -c -p 6379 (node 1; nodes 2 and 3 listen on 6380 and 6381).
# Options are passed to `raftkv cluster` (see ./build/release/src/server/raftkv cluster --help).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAFTKV_WERROR=ON >/dev/null
cmake --build build/release -j"$(nproc)" --target raftkv
exec ./build/release/src/server/raftkv cluster "$@"
