#!/usr/bin/env bash
# summary: the pair: gRPC throughput of the pair in SYNC vs one node alone (same run, alternated), catch-up of N keys to SYNC, switchover pause
#
# bin/bench pair [--rounds N] [--duration S] [--catchup-keys N] [--switchovers N] [--only grpc|catchup|switchover]
#   --rounds N        rounds of (pair, alone) throughput runs, alternated (default 2)
#   --duration S      measured seconds of each throughput run (default 10, warmup 3)
#   --catchup-keys N  keys (100-byte values) loaded into the primary while the backup is down (default 1000000)
#   --switchovers N   graceful primary stops measured (default 3)
#   --only PART       run one part only
# Every node is a fresh process from server/target/pbkv-server.jar with fsync always, started by
# the test kit's launcher on free loopback ports with data directories under target/bench/, and
# stopped through its PID file at the end. Throughput: bin/bench
# grpc, 64 requests in flight, pipelined, 100-byte values, 50% reads. Catch-up: from launching the
# backup to its Status showing SYNC (and, from its log, WARM_START to SYNC). Switchover: a writer
# without client retries, from the first refused to the first accepted write (dev.pbkv.tester.bench.PairBench, in the tester's jar).
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

source "$root/bin/lib/bench-nodes.sh"
ensure_bench_jars "bench pair"
work="$(bench_work_dir pair)"
report="$root/target/bench/pair-$(date -u +%Y%m%dT%H%M%SZ).txt"
dirs=() # the data directory of every node started, for the cleanup

cleanup() {
  if [ ${#dirs[@]} -gt 0 ]; then launcher stop "${dirs[@]}" || true; fi
  if [ -z "${PBKV_BENCH_KEEP:-}" ]; then rm -rf "$work"; else echo "bench pair: kept $work" >&2; fi
}
trap cleanup EXIT

stop_node() { # NAME: SIGTERM, then SIGKILL after 30 s, through its PID file
  launcher stop --grace 30 "$work/$1/data"
}

load() { cut -d' ' -f1-3 /proc/loadavg; }
say() { echo "$*" | tee -a "$report"; }

bench_java() { java -cp "$tester_jar" dev.pbkv.tester.bench.PairBench "$@"; }

# start_node NAME ROLE PORT PEER_PORT [extra node flags]: launches in the background without
# waiting; sets launched_ms (epoch ms of the launch).
start_node() {
  local name="$1" role="$2" port="$3" peer="$4"; shift 4
  local out
  out="$(launcher start --no-wait --name node --role "$role" --data-dir "$work/$name/data" \
    --grpc-port "$port" --peer "127.0.0.1:$peer" --jvm-opts "${PBKV_BENCH_NODE_JAVA_OPTS:-}" \
    -- --fsync always "$@")"
  eval "$out"
  launched_ms="$node_launched_ms"
  dirs+=("$work/$name/data")
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
    read -r pp bp < <(launcher free-ports 2)
    start_node "pair$r-p" primary "$pp" "$bp"
    start_node "pair$r-b" backup "$bp" "$pp"
    await_state "127.0.0.1:$pp" PRIMARY SYNC "$(now_ms)" 120 >/dev/null
    l0=$(load)
    pair_ops=$(grpc_run "pair-r$r" "127.0.0.1:$pp" "127.0.0.1:$bp")
    l1=$(load)
    stop_node "pair$r-b"; stop_node "pair$r-p"

    read -r ap nobody < <(launcher free-ports 2)
    start_node "alone$r" primary "$ap" "$nobody"
    await_state "127.0.0.1:$ap" PRIMARY BOOTSTRAP "$(now_ms)" 120 >/dev/null
    l2=$(load)
    alone_ops=$(grpc_run "alone-r$r" "127.0.0.1:$ap")
    l3=$(load)
    stop_node "alone$r"
    say "round $r: pair in SYNC $pair_ops ops/s (load $l0 -> $l1); one node alone $alone_ops ops/s (load $l2 -> $l3); ratio $(awk -v a="$pair_ops" -v b="$alone_ops" 'BEGIN{printf "%.2f", a/b}')"
  done
fi

if [ -z "$only" ] || [ "$only" = catchup ]; then
  read -r pp bp < <(launcher free-ports 2)
  start_node catchup-p primary "$pp" "$bp" --memory 1g
  await_state "127.0.0.1:$pp" PRIMARY BOOTSTRAP "$(now_ms)" 120 >/dev/null
  # The load generator's preload writes every key once (64 in flight); then 1 s of reads.
  bash "$root/bin/lib/bench-grpc.sh" --server "127.0.0.1:$pp" --concurrency 64 --mode pipelined \
    --value-size 100 --read-ratio 1 --keys "$catchup_keys" --duration 1 --warmup 0 --label catchup-load \
    >"$work/catchup-load.out" 2>&1 || { cat "$work/catchup-load.out" >&2; exit 1; }
  l0=$(load)
  start_node catchup-b backup "$bp" "$pp" --memory 1g
  to_sync=$(await_state "127.0.0.1:$bp" BACKUP SYNC "$launched_ms" 600)
  l1=$(load)
  # From the backup's own log: subscribing (COLD_START -> WARM_START) to SYNC.
  in_log=$(python3 - "$work/catchup-b/data/node.log" <<'EOF'
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
  snap=$(grep -c "installed the snapshot" "$work/catchup-b/data/node.log" || true)
  say "catch-up of $catchup_keys keys (100-byte values): launch of the backup to SYNC $to_sync ms, WARM_START to SYNC $in_log ms (snapshots installed: $snap; load $l0 -> $l1); $(grep -m1 'preloaded' "$work/catchup-load.out")"
  stop_node catchup-b; stop_node catchup-p
fi

if [ -z "$only" ] || [ "$only" = switchover ]; then
  read -r ap bp < <(launcher free-ports 2)
  start_node sw-a primary "$ap" "$bp"
  start_node sw-b backup "$bp" "$ap"
  await_state "127.0.0.1:$ap" PRIMARY SYNC "$(now_ms)" 120 >/dev/null
  await_state "127.0.0.1:$bp" BACKUP SYNC "$(now_ms)" 120 >/dev/null
  cur="a"
  for s in $(seq 1 "$switchovers"); do
    if [ "$cur" = a ]; then prim="$ap"; back="$bp"; else prim="$bp"; back="$ap"; fi
    l0=$(load)
    out=$(bench_java switchover "127.0.0.1:$prim" "127.0.0.1:$back")
    say "switchover $s: $out (load $l0)"
    # The old primary exited after handing over: start it again, it rejoins as backup.
    # (stop_node waits until the old primary, exiting by itself, is gone: same ports, same dir.)
    if [ "$cur" = a ]; then
      stop_node sw-a
      start_node sw-a primary "$ap" "$bp"; cur=b
      await_state "127.0.0.1:$ap" BACKUP SYNC "$(now_ms)" 120 >/dev/null
    else
      stop_node sw-b
      start_node sw-b backup "$bp" "$ap"; cur=a
      await_state "127.0.0.1:$bp" BACKUP SYNC "$(now_ms)" 120 >/dev/null
    fi
  done
  stop_node sw-a; stop_node sw-b
fi
say "report: $report"
