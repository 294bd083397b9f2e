#!/usr/bin/env bash
# Compare a local 3-node raftkv cluster with redis-server on the same machine, in one run.
#
#   bench/redis_compare.sh [RAFTKV_BINARY]      (default: build/release/src/server/raftkv)
#
# Targets (all on 127.0.0.1, free ports, data in one temp dir on the same file system; all
# three run for the whole benchmark and each row is measured on the three back to back):
#   raftkv   `raftkv cluster --nodes 3`, fsync on (the default); the LEADER's client port
#   durable  redis-server --appendonly yes --appendfsync always --save ''
#   memory   redis-server --appendonly no --save ''
# Each target is preloaded with all 100,000 keys (64-byte values), then redis-benchmark SET
# and GET (-d 64 -r 100000) with 1, 16 and 64 clients and pipeline 1 and 16. Each measurement
# is preceded by a short probe run that sizes -n so the measurement takes about
# BENCH_SECONDS (default 3) seconds. Prints one table with requests/s, the ratios
# raftkv/durable and raftkv/memory, and p50/p99 latency (ms) for each target.
#
# Environment:
#   BENCH_SECONDS   target duration of one measurement (default 3)
#   BENCH_CLIENTS   client counts (default "1 16 64")
#   BENCH_PIPELINES pipeline depths (default "1 16")
#   BENCH_TESTS     commands (default "set get")
#   BENCH_TLS=1     every target serves the benchmark over TLS (a throwaway CA and server
#                   certificate; no client certificates): raftkv's --tls-port, redis-server's
#                   --tls-port with --port 0; redis-benchmark --tls --cacert
#   BENCH_ACL=1     the benchmark runs as an ACL user with a key pattern, on every target:
#                   ACL SETUSER bench on >bench-pw ~key:* +@all, redis-benchmark --user
#                   bench -a bench-pw (the cost of the per-command permission check)
#   BENCH_METRICS=1 every raftkv node also serves Prometheus /metrics (raftkv cluster
#                   --metrics-port), to show the figures hold with metrics on
#   BENCH_KEEP=1    keep the temp dir (logs, raw CSV) instead of deleting it
#   TMPDIR          where the temp dir goes; must be a real disk for fsync to mean anything
#
# Not a test: nothing here is registered with CTest. Loopback only. Every process started
# here is stopped on exit, including on Ctrl-C or failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RAFTKV=${1:-$ROOT/build/release/src/server/raftkv}
SECONDS_PER_RUN=${BENCH_SECONDS:-3}
CLIENTS=${BENCH_CLIENTS:-"1 16 64"}
PIPELINES=${BENCH_PIPELINES:-"1 16"}
TESTS=${BENCH_TESTS:-"set get"}
BENCH_TLS=${BENCH_TLS:-0}
BENCH_ACL=${BENCH_ACL:-0}
BENCH_METRICS=${BENCH_METRICS:-0}
KEYSPACE=100000
VALUE_SIZE=64
HOST=127.0.0.1

die() { echo "redis_compare: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

[[ -x $RAFTKV ]] || die "no raftkv binary at $RAFTKV; build it with:
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo && ninja -C build/release raftkv"
for tool in redis-server redis-benchmark redis-cli python3 openssl; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install redis-server redis-tools)"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/raftkv-redis-compare.XXXXXX")
FSTYPE=$(stat -f -c %T "$WORK")
if [[ $FSTYPE == tmpfs || $FSTYPE == ramfs ]]; then
  log "WARNING: $WORK is on $FSTYPE: fsync costs nothing there, the durable numbers are not"
fi

TLS=()  # redis-cli and redis-benchmark's TLS options, with BENCH_TLS=1
if [[ $BENCH_TLS == 1 ]]; then
  # A throwaway CA and a server certificate for 127.0.0.1 (EC P-256: quick to make).
  (cd "$WORK" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
      -out ca.crt -days 2 -subj "/CN=bench CA" &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key \
      -out server.csr -subj "/CN=localhost" &&
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >server.ext &&
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out server.crt -days 2 -extfile server.ext) >"$WORK/openssl.log" 2>&1 ||
    die "could not make certificates; see $WORK/openssl.log"
  TLS=(--tls --cacert "$WORK/ca.crt")
  SERVER_TLS=(--tls-cert-file "$WORK/server.crt" --tls-key-file "$WORK/server.key"
    --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no)
fi
AUTH=()  # redis-benchmark's, with BENCH_ACL=1
[[ $BENCH_ACL == 1 ]] && AUTH=(--user bench -a bench-pw)

PIDS=()         # the redis-servers we started
CLUSTER_PID=""  # the `raftkv cluster` launcher; it stops its nodes on SIGTERM

# Stops one process we started: SIGTERM, up to $2 seconds, then SIGKILL.
stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_cluster() {
  [[ -n $CLUSTER_PID ]] || return 0
  # The launcher's own children are the nodes; remember them in case it dies first.
  local nodes
  nodes=$(ps -o pid= --ppid "$CLUSTER_PID" 2>/dev/null || true)
  stop_pid "$CLUSTER_PID" 15
  for n in $nodes; do stop_pid "$n" 5; done
  CLUSTER_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_cluster
  for pid in "${PIDS[@]}"; do stop_pid "$pid" 5; done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted (SIGINT)"; exit 130' INT
trap 'log "terminated (SIGTERM)"; exit 143' TERM

# Prints the first port P >= a random base such that P..P+count-1 are all free.
free_ports() {
  python3 - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(200):
    base = random.randint(20000, 60000 - count)
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            socks.append(s)
            s.bind(("127.0.0.1", p))
        print(base)
        sys.exit(0)
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
sys.exit("no free port range")
EOF
}

wait_ping() {  # port, seconds
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    [[ $(redis-cli -h $HOST -p "$1" "${TLS[@]}" PING 2>/dev/null) == PONG ]] && return 0
    sleep 0.1
  done
  return 1
}

# --- raftkv --------------------------------------------------------------------------
start_raftkv() {
  local cport pport tport=0 i p role
  local -a cluster_args=()
  cport=$(free_ports 3)
  pport=$(free_ports 3)
  while ((pport < cport + 3 && cport < pport + 3)); do pport=$(free_ports 3); done
  if [[ $BENCH_TLS == 1 ]]; then
    tport=$(free_ports 3)
    while ((tport < cport + 3 && cport < tport + 3 || tport < pport + 3 && pport < tport + 3)); do
      tport=$(free_ports 3)
    done
    cluster_args=(--tls-port "$tport")
  fi
  if [[ $BENCH_METRICS == 1 ]]; then
    local mport
    mport=$(free_ports 3)
    cluster_args+=(--metrics-port "$mport")
  fi
  # Options for every `raftkv serve`, after `--`.
  local -a serve_args=()
  [[ $BENCH_TLS == 1 ]] && serve_args+=("${SERVER_TLS[@]}")
  ((${#serve_args[@]})) && cluster_args+=(-- "${serve_args[@]}")
  mkdir -p "$WORK/raftkv"
  # --tls-port only in TLS mode, so binaries from before it can be compared too.
  "$RAFTKV" cluster --nodes 3 --client-port "$cport" --peer-port "$pport" \
    --data-dir "$WORK/raftkv" "${cluster_args[@]}" >"$WORK/raftkv.log" 2>&1 &
  CLUSTER_PID=$!
  for ((i = 0; i < 300; i++)); do
    kill -0 "$CLUSTER_PID" 2>/dev/null || die "raftkv cluster exited; see $WORK/raftkv.log"
    for p in "$cport" $((cport + 1)) $((cport + 2)); do
      role=$(redis-cli -h $HOST -p "$p" INFO raft 2>/dev/null | tr -d '\r' |
        sed -n 's/^raft_role://p' || true)
      if [[ $role == leader ]]; then
        RAFTKV_PORT=$p
        # INFO above went to the plaintext port; the benchmark goes to the TLS one.
        [[ $BENCH_TLS == 1 ]] && RAFTKV_PORT=$((tport + p - cport))
        log "raftkv: 3 nodes, client ports $cport-$((cport + 2)), leader on $p"
        return 0
      fi
    done
    sleep 0.1
  done
  die "raftkv elected no leader within 30 s; see $WORK/raftkv.log"
}

# --- redis-server ----------------------------------------------------------------------
start_redis() {  # name, extra args...
  local name=$1 port
  shift
  port=$(free_ports 1)
  mkdir -p "$WORK/$name"
  local -a listen=(--port "$port")
  [[ $BENCH_TLS == 1 ]] && listen=(--port 0 --tls-port "$port" "${SERVER_TLS[@]}")
  redis-server --bind $HOST "${listen[@]}" --dir "$WORK/$name" --daemonize no \
    --protected-mode yes --logfile "$WORK/$name.log" "$@" &
  PIDS+=($!)
  wait_ping "$port" 10 || die "redis-server ($name) did not start; see $WORK/$name.log"
  REDIS_PORT=$port
  log "redis-server ($name) on $port: $*"
}

# --- measuring ---------------------------------------------------------------------------

# Writes every key the benchmark can touch (key:000000000000 .. key:000000099999, as
# redis-benchmark's -r expands __rand_int__), so GET always finds a 64-byte value.
preload() {  # port
  python3 - "$KEYSPACE" "$VALUE_SIZE" >"$WORK/preload.resp" <<'EOF'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
value = b"x" * size
out = sys.stdout.buffer
for i in range(n):
    key = b"key:%012d" % i
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, size, value))
EOF
  redis-cli -h $HOST -p "$1" "${TLS[@]}" --pipe <"$WORK/preload.resp" >"$WORK/preload.log" 2>&1 ||
    die "preload failed: $(tail -3 "$WORK/preload.log")"
  grep -q 'errors: 0' "$WORK/preload.log" || die "preload had errors: $(tail -3 "$WORK/preload.log")"
  local keys
  keys=$(redis-cli -h $HOST -p "$1" "${TLS[@]}" DBSIZE)
  [[ $keys == "$KEYSPACE" ]] || die "after preloading, DBSIZE is $keys, not $KEYSPACE"
  [[ $(redis-cli -h $HOST -p "$1" "${TLS[@]}" GET key:000000000042) == $(printf 'x%.0s' $(seq $VALUE_SIZE)) ]] ||
    die "after preloading, GET key:000000000042 does not return the value"
}

# One redis-benchmark run; prints "rps p50 p99" (ms).
bench_once() {  # port test clients pipeline requests
  local out
  out=$(redis-benchmark -h $HOST -p "$1" "${TLS[@]}" "${AUTH[@]}" -t "$2" -c "$3" -P "$4" -n "$5" \
    -d $VALUE_SIZE -r $KEYSPACE --csv 2>>"$WORK/benchmark.stderr") ||
    die "redis-benchmark failed on port $1 ($2 -c $3 -P $4)"
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
  # "p99_latency_ms","max_latency_ms"
  echo "$out" | awk -F, 'NR == 2 { gsub(/"/, ""); print $2, $5, $7 }'
}

# Requests the server failed so far. redis-benchmark does not check replies, so a run
# answered with errors or redirects would look fast. redis-server: total_error_replies.
# raftkv: requests that did not succeed = requests - (writes_ok + reads_ok), computed by
# the caller from `ok_count` (raftkv's `errors` also counts the CONFIG GET that
# redis-benchmark sends at start, which raftkv does not implement).
stat_sum() {  # port field...
  local port=$1
  shift
  redis-cli -h $HOST -p "$port" "${TLS[@]}" INFO stats 2>/dev/null | tr -d '\r' |
    awk -F: -v f=" $* " 'index(f, " " $1 " ") { n += $2 } END { print n + 0 }'
}

# Probe briefly, then measure for about SECONDS_PER_RUN seconds.
measure() {  # target port test clients pipeline
  local target=$1 port=$2 test=$3 c=$4 p=$5 unit n probe rps
  unit=$((c * p))
  n=$((unit * 20 > 2000 ? unit * 20 : 2000))
  [[ $target == memory ]] && n=$((n * 5))
  probe=$(bench_once "$port" "$test" "$c" "$p" "$n")
  rps=${probe%% *}
  n=$(awk -v r="$rps" -v s="$SECONDS_PER_RUN" -v u="$unit" 'BEGIN {
        n = int(r * s / u) * u; if (n < 4 * u) n = 4 * u; if (n < 500) n = 500;
        if (n > 5000000) n = 5000000; print n }')
  local result before errors
  if [[ $target == raftkv ]]; then
    before=$(stat_sum "$port" writes_ok reads_ok)
    result=$(bench_once "$port" "$test" "$c" "$p" "$n")
    errors=$((n - ($(stat_sum "$port" writes_ok reads_ok) - before)))
  else
    before=$(stat_sum "$port" total_error_replies)
    result=$(bench_once "$port" "$test" "$c" "$p" "$n")
    errors=$(($(stat_sum "$port" total_error_replies) - before))
  fi
  echo "$target $test $c $p $n $result $errors" >>"$WORK/results.txt"
  log "$(printf '%-7s %-3s c=%-2s P=%-2s n=%-7s -> rps %s p50 %s p99 %s' \
    "$target" "$test" "$c" "$p" "$n" $result)"
  ((errors == 0)) || log "WARNING: $errors error replies during that run: its numbers are invalid"
}

log "machine: $(nproc) cores, $(uname -r), temp dir $WORK ($FSTYPE)"
log "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
if awk -v n="$(nproc)" '{ exit !($1 > n / 4) }' /proc/loadavg; then
  log "WARNING: the load average is already $(cut -d' ' -f1 /proc/loadavg) on $(nproc) cores:" \
    "other work competes for CPU and the numbers will be low and noisy"
fi
: >"$WORK/results.txt"

# All three servers run for the whole benchmark (idle ones cost next to nothing) and each
# (command, clients, pipeline) row is measured on the three back to back, so a burst of
# other work on a shared machine skews one row a little rather than one column a lot.
start_raftkv
start_redis durable --appendonly yes --appendfsync always --save ''
DURABLE_PORT=$REDIS_PORT
start_redis memory --appendonly no --save ''
MEMORY_PORT=$REDIS_PORT
for target in raftkv durable memory; do
  port_var=${target^^}_PORT
  log "$target: preloading $KEYSPACE keys"
  preload "${!port_var}"
  if [[ $BENCH_ACL == 1 ]]; then
    [[ $(redis-cli -h $HOST -p "${!port_var}" "${TLS[@]}" ACL SETUSER bench on '>bench-pw' \
      '~key:*' '+@all') == OK ]] || die "ACL SETUSER failed on $target"
  fi
done
log "mode: TLS=$BENCH_TLS ACL=$BENCH_ACL METRICS=$BENCH_METRICS"
for t in $TESTS; do
  for c in $CLIENTS; do
    for p in $PIPELINES; do
      measure raftkv "$RAFTKV_PORT" "$t" "$c" "$p"
      measure durable "$DURABLE_PORT" "$t" "$c" "$p"
      measure memory "$MEMORY_PORT" "$t" "$c" "$p"
    done
  done
done

log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- the table ---------------------------------------------------------------------------
awk -v tests="$TESTS" -v clients="$CLIENTS" -v pipelines="$PIPELINES" '
  { k = $2 " " $3 " " $4; rps[$1, k] = $6 ($9 > 0 ? "(!)" : ""); p50[$1, k] = $7; p99[$1, k] = $8
    if ($9 > 0) bad = 1 }
  function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f", a / b) : "-" }
  function v(x) { return x == "" ? "-" : x }
  END {
    nt = split(tests, T, " "); nc = split(clients, C, " "); np = split(pipelines, P, " ")
    printf "| cmd | clients | pipeline | raftkv rps | durable redis rps | memory redis rps |"
    printf " raftkv/durable | raftkv/memory | raftkv p50/p99 ms | durable p50/p99 ms |"
    printf " memory p50/p99 ms |\n"
    printf "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    for (i = 1; i <= nt; i++) for (j = 1; j <= nc; j++) for (l = 1; l <= np; l++) {
      k = T[i] " " C[j] " " P[l]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |\n",
        toupper(T[i]), C[j], P[l], v(rps["raftkv", k]), v(rps["durable", k]),
        v(rps["memory", k]), ratio(rps["raftkv", k], rps["durable", k]),
        ratio(rps["raftkv", k], rps["memory", k]),
        v(p50["raftkv", k]), v(p99["raftkv", k]), v(p50["durable", k]), v(p99["durable", k]),
        v(p50["memory", k]), v(p99["memory", k])
    }
    if (bad) print "\n(!) the server sent error replies during this run: not a valid measurement"
  }' "$WORK/results.txt"
