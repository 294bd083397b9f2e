#!/usr/bin/env bash
# Installs the Debian packages raftkv needs to build, test and benchmark.
# Idempotent: packages already present are not downloaded again. Run as root.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format clang-tidy
  libgtest-dev libgmock-dev libbenchmark-dev
  libasio-dev libprotobuf-dev protobuf-compiler libssl-dev openssl
  libspdlog-dev libfmt-dev libcli11-dev libxxhash-dev libjemalloc-dev
  libboost-dev prometheus-cpp-dev nlohmann-json3-dev liblzf-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev
  redis-tools redis-server iproute2 procps python3 python3-redis python3-prometheus-client
  python3-rq
  clang-16 libclang-rt-16-dev nodejs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# npm may come from Debian's package or from Node's own installer: either will do.
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

# Node.js client libraries for the integration tests, pinned by package-lock.json.
install_node_clients() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/node"
  local pkg absent=0
  for pkg in ioredis bullmq redis redlock; do
    [[ -d "$dir/node_modules/$pkg" ]] || absent=1
  done
  ((absent)) || return 0
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
    echo "setup: npm ci failed in $dir: the Node.js client tests will skip" >&2
}

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  install_node_clients
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run this script as root to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The redis-server package starts a system daemon on 6379; tests and benchmarks start
# their own servers on other ports, so the daemon is not needed.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
install_node_clients
echo "setup: done"
