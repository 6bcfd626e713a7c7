#!/usr/bin/env bash
# summary: the pair: gRPC throughput of the pair in SYNC vs one node alone (same run, alternated), catch-up of N keys to SYNC, switchover pause
#
# bin/bench pair [--rounds N] [--duration S] [--catchup-keys N] [--switchovers N] [--only grpc|catchup|switchover]
#   --rounds N        rounds of (pair, alone) throughput runs, alternated (default 2)
#   --duration S      measured seconds of each throughput run (default 10, warmup 3)
#   --catchup-keys N  keys (100-byte values) loaded into the primary while the backup is down (default 1000000)
#   --switchovers N   graceful primary stops measured (default 3)
#   --only PART       run one part only
# Every node is a fresh process from server/target/pbkv-server.jar with fsync always, on free
# loopback ports and temporary data directories, stopped by PID at the end. Throughput: bin/bench
# grpc, 64 requests in flight, pipelined, 100-byte values, 50% reads. Catch-up: from launching the
# backup to its Status showing SYNC (and, from its log, WARM_START to SYNC). Switchover: a writer
# without client retries, from the first refused to the first accepted write (bin/lib/PairBench.java).
# Each figure is printed with the load average; a summary is written to target/bench/pair-*.txt.
# PBKV_BENCH_KEEP=1 keeps the nodes' data directories and logs.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

rounds=2; duration=10; catchup_keys=1000000; switchovers=3; only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift ;;
    --duration) duration="$2"; shift ;;
    --catchup-keys) catchup_keys="$2"; shift ;;
    --switchovers) switchovers="$2"; shift ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench pair: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

server_jar="$root/server/target/pbkv-server.jar"
tester_jar="$root/tester/target/pbkv-tester.jar"
if [ ! -f "$server_jar" ] || [ ! -f "$tester_jar" ]; then
  echo "bench pair: building (mvn -B -q -DskipTests package)..." >&2
  mvn -B -q -DskipTests package >&2
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/pbkv-bench-pair.XXXXXX")"
mkdir -p "$root/target/bench"
report="$root/target/bench/pair-$(date -u +%Y%m%dT%H%M%SZ).txt"
pids=()

cleanup() {
  for p in "${pids[@]}"; do stop_pid "$p"; done
  if [ -z "${PBKV_BENCH_KEEP:-}" ]; then rm -rf "$work"; else echo "bench pair: kept $work" >&2; fi
}
trap cleanup EXIT

stop_pid() { # SIGTERM, then SIGKILL after 30 s; only our own node PIDs
  local p="$1"
  kill -0 "$p" 2>/dev/null || return 0
  kill -TERM "$p" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench pair: no free port found" >&2; return 1
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
say() { echo "$*" | tee -a "$report"; }

# The measuring program, compiled once (a source launch per call would add seconds to each wait).
javac -d "$work/classes" -cp "$tester_jar" "$root/bin/lib/PairBench.java"
bench_java() { java -cp "$work/classes:$tester_jar" PairBench "$@"; }

# start_node NAME ROLE PORT PEER_PORT [extra node flags]: launches in the background; sets node_pid.
start_node() {
  local name="$1" role="$2" port="$3" peer="$4"; shift 4
  mkdir -p "$work/$name"
  java ${PBKV_BENCH_NODE_JAVA_OPTS:-} -jar "$server_jar" --role "$role" --data-dir "$work/$name/data" \
    --grpc-port "$port" --resp-port 0 --http-port 0 --peer "127.0.0.1:$peer" --fsync always "$@" \
    >>"$work/$name/node.log" 2>&1 &
  node_pid=$!
  pids+=("$node_pid")
}

await_state() { # ADDR ROLE STATE SINCE_MS TIMEOUT_S: prints ms since SINCE_MS
  bench_java await-state "$@"
}

now_ms() { date +%s%3N; }

grpc_run() { # LABEL SERVER...: prints ops/s
  local label="$1"; shift
  local servers=()
  for s in "$@"; do servers+=(--server "$s"); done
  bash "$root/bin/lib/bench-grpc.sh" "${servers[@]}" --concurrency 64 --mode pipelined --value-size 100 \
    --read-ratio 0.5 --duration "$duration" --warmup 3 --label "$label" >"$work/$label.out" 2>&1 || {
      cat "$work/$label.out" >&2; return 1; }
  sed -n 's/.*(\([0-9,]*\) ops\/s).*/\1/p' "$work/$label.out" | tr -d , | head -n 1
}

say "bench pair $(date -u +%FT%TZ) on $(nproc) cores; rounds=$rounds duration=${duration}s catchup_keys=$catchup_keys"

if [ -z "$only" ] || [ "$only" = grpc ]; then
  for r in $(seq 1 "$rounds"); do
    pp=$(free_port); bp=$(free_port)
    start_node "pair$r-p" primary "$pp" "$bp"; p_pid=$node_pid
    start_node "pair$r-b" backup "$bp" "$pp"; b_pid=$node_pid
    await_state "127.0.0.1:$pp" PRIMARY SYNC "$(now_ms)" 120 >/dev/null
    l0=$(load)
    pair_ops=$(grpc_run "pair-r$r" "127.0.0.1:$pp" "127.0.0.1:$bp")
    l1=$(load)
    stop_pid "$b_pid"; stop_pid "$p_pid"

    ap=$(free_port); nobody=$(free_port)
    start_node "alone$r" primary "$ap" "$nobody"; a_pid=$node_pid
    await_state "127.0.0.1:$ap" PRIMARY BOOTSTRAP "$(now_ms)" 120 >/dev/null
    l2=$(load)
    alone_ops=$(grpc_run "alone-r$r" "127.0.0.1:$ap")
    l3=$(load)
    stop_pid "$a_pid"
    say "round $r: pair in SYNC $pair_ops ops/s (load $l0 -> $l1); one node alone $alone_ops ops/s (load $l2 -> $l3); ratio $(awk -v a="$pair_ops" -v b="$alone_ops" 'BEGIN{printf "%.2f", a/b}')"
  done
fi

if [ -z "$only" ] || [ "$only" = catchup ]; then
  pp=$(free_port); bp=$(free_port)
  start_node catchup-p primary "$pp" "$bp" --memory 1g; p_pid=$node_pid
  await_state "127.0.0.1:$pp" PRIMARY BOOTSTRAP "$(now_ms)" 120 >/dev/null
  # The load generator's preload writes every key once (64 in flight); then 1 s of reads.
  bash "$root/bin/lib/bench-grpc.sh" --server "127.0.0.1:$pp" --concurrency 64 --mode pipelined \
    --value-size 100 --read-ratio 1 --keys "$catchup_keys" --duration 1 --warmup 0 --label catchup-load \
    >"$work/catchup-load.out" 2>&1 || { cat "$work/catchup-load.out" >&2; exit 1; }
  l0=$(load)
  t0=$(now_ms)
  start_node catchup-b backup "$bp" "$pp" --memory 1g; b_pid=$node_pid
  to_sync=$(await_state "127.0.0.1:$bp" BACKUP SYNC "$t0" 600)
  l1=$(load)
  # From the backup's own log: subscribing (COLD_START -> WARM_START) to SYNC.
  in_log=$(python3 - "$work/catchup-b/node.log" <<'EOF'
import re, sys
from datetime import datetime
warm = sync = None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\S+) .*-> (WARM_START|SYNC) \(", line)
    if m:
        t = datetime.fromisoformat(m.group(1))
        if m.group(2) == "WARM_START" and warm is None:
            warm = t
        elif m.group(2) == "SYNC" and sync is None:
            sync = t
print(int((sync - warm).total_seconds() * 1000) if warm and sync else "?")
EOF
)
  snap=$(grep -c "installed the snapshot" "$work/catchup-b/node.log" || true)
  say "catch-up of $catchup_keys keys (100-byte values): launch of the backup to SYNC $to_sync ms, WARM_START to SYNC $in_log ms (snapshots installed: $snap; load $l0 -> $l1); $(grep -m1 'preloaded' "$work/catchup-load.out")"
  stop_pid "$b_pid"; stop_pid "$p_pid"
fi

if [ -z "$only" ] || [ "$only" = switchover ]; then
  ap=$(free_port); bp=$(free_port)
  start_node sw-a primary "$ap" "$bp"; a_pid=$node_pid
  start_node sw-b backup "$bp" "$ap"; b_pid=$node_pid
  await_state "127.0.0.1:$ap" PRIMARY SYNC "$(now_ms)" 120 >/dev/null
  await_state "127.0.0.1:$bp" BACKUP SYNC "$(now_ms)" 120 >/dev/null
  cur="a"
  for s in $(seq 1 "$switchovers"); do
    if [ "$cur" = a ]; then prim="$ap"; back="$bp"; else prim="$bp"; back="$ap"; fi
    l0=$(load)
    out=$(bench_java switchover "127.0.0.1:$prim" "127.0.0.1:$back")
    say "switchover $s: $out (load $l0)"
    # The old primary exited after handing over: start it again, it rejoins as backup.
    if [ "$cur" = a ]; then
      wait "$a_pid" 2>/dev/null || true
      start_node sw-a primary "$ap" "$bp"; a_pid=$node_pid; cur=b
      await_state "127.0.0.1:$ap" BACKUP SYNC "$(now_ms)" 120 >/dev/null
    else
      wait "$b_pid" 2>/dev/null || true
      start_node sw-b backup "$bp" "$ap"; b_pid=$node_pid; cur=a
      await_state "127.0.0.1:$bp" BACKUP SYNC "$(now_ms)" 120 >/dev/null
    fi
  done
  stop_pid "$a_pid"; stop_pid "$b_pid"
fi
say "report: $report"
