#!/usr/bin/env bash
# summary: gRPC load generator: N requests in flight (blocking or pipelined), ops/s and p50/p99/p99.9, JSON in target/bench/
#
# bin/bench grpc [--start [--jar PATH] [--node-opt ARG]...] [--server HOST:PORT]... [load generator options]
#   --server HOST:PORT   drive this node (repeat for a pair); default: the pair in conf/settings.conf
#   --start              start a throw-away primary from server/target/pbkv-server.jar on free
#                        ports (the test kit's launcher) with a data directory under
#                        target/bench/, drive it, and stop it afterwards by its PID file
#   --jar PATH           with --start: the node's jar (default server/target/pbkv-server.jar),
#                        e.g. an older build, to compare two builds in one run
#   --node-opt ARG       pass ARG to that node (e.g. --node-opt --fsync=no); repeatable
#   --tls, --auth        measure the cost of TLS and/or auth: start two nodes as --start does, one
#                        plain and one with TLS (development certificates, pbkv-server.jar certs)
#                        and/or a user (a random password, pbkv-server.jar passwd), run the same
#                        workload against each in alternated rounds and print the same-run ratio
#                        on/off of ops/s (best round) and of p50/p99 (median round). Rounds are
#                        short: --duration 3 --warmup 1 --keys 10000 unless given; the nodes run
#                        with store.fsync no (CPU, not the disk, is what TLS and auth cost;
#                        --node-opt --fsync=always to change)
#   --rounds R           with --tls/--auth: rounds per node (default 3)
# Against a secured node of your own: --tls-ca FILE (with --tls-cert/--tls-key for client-auth),
# --user NAME with the password from --password-file FILE or $PBKV_PASSWORD.
# Every other option goes to the load generator (bin/bench grpc --help lists them): --mode,
# --concurrency, --keys, --value-size, --read-ratio, --duration, --warmup, ...
# The JSON result is written under target/bench/ of this checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

start=0
tls=0
auth=0
rounds=3
node_jar=""
node_opts=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
    --tls) tls=1 ;;
    --auth) auth=1 ;;
    --rounds) [ $# -ge 2 ] || { echo "bench grpc: --rounds needs a number" >&2; exit 2; }
              rounds="$2"; shift ;;
    --jar) [ $# -ge 2 ] || { echo "bench grpc: --jar needs a path" >&2; exit 2; }
           node_jar="$2"; shift ;;
    --node-opt) [ $# -ge 2 ] || { echo "bench grpc: --node-opt needs a value" >&2; exit 2; }
                node_opts+=("$2"); shift ;;
    --node-opt=*) node_opts+=("${1#--node-opt=}") ;;
    -h|--help) sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; args+=("--help") ;;
    *) args+=("$1") ;;
  esac
  shift
done

source "$root/bin/lib/bench-nodes.sh"

# The load generator and the node launcher both come from the tester's runnable jar.
ensure_bench_jars "bench grpc"
if [ -n "$node_jar" ]; then
  [ -f "$node_jar" ] || { echo "bench grpc: no such jar: $node_jar" >&2; exit 2; }
  server_jar="$node_jar"
fi

node_dir=""
cleanup() {
  # an if, not `[ ] && ...`: a false test as the trap's last command made the script exit 1
  if [ -n "$node_dir" ]; then
    local dirs=()
    for d in "$node_dir/data" "$node_dir/plain" "$node_dir/secure"; do
      if [ -f "$d/pbkv.pid" ]; then dirs+=("$d"); fi
    done
    if [ ${#dirs[@]} -gt 0 ]; then launcher stop "${dirs[@]}" || true; fi
    rm -rf "$node_dir"
  fi
}
trap cleanup EXIT

if [ "$tls" = 1 ] || [ "$auth" = 1 ]; then
  source "$root/bin/lib/bench-secure.sh"
  case "$rounds" in ''|*[!0-9]*|0) echo "bench grpc: --rounds needs a positive number" >&2; exit 2 ;; esac
  node_dir="$(bench_work_dir grpc-secure)"
  make_bench_secrets "$node_dir" || { echo "bench grpc: could not make certificates and a user" >&2; exit 1; }
  case "$tls$auth" in 10) on="TLS" ;; 01) on="auth" ;; *) on="TLS+auth" ;; esac
  secure_launch=()
  secure_client=()
  if [ "$tls" = 1 ]; then
    bench_tls_flags "$node_dir"
    secure_launch+=("${bench_tls[@]}")
    secure_client+=(--tls-ca "$node_dir/certs/ca.pem")
  fi
  # Before the user's flags: --node-opt --fsync=... (a specific flag) wins over --set.
  node_opts=(--set store.fsync=no "${node_opts[@]}")
  secure_node=("${node_opts[@]}")
  if [ "$auth" = 1 ]; then
    with_bench_user - "$node_dir/secure.conf" "$node_dir"
    secure_node=(--config "$node_dir/secure.conf" "${node_opts[@]}")
    secure_client+=(--user bench --password-file "$node_dir/bench.password")
  fi
  nobody="$(launcher free-ports 1)"
  echo "bench grpc: starting a plain node and one with $on (data in $node_dir)" >&2
  if ! plain_out="$(launcher start --name plain --role primary --data-dir "$node_dir/plain" --peer "127.0.0.1:$nobody" \
      --jvm-opts "${PBKV_BENCH_NODE_JAVA_OPTS:-}" -- "${node_opts[@]}")"; then
    echo "bench grpc: the plain node did not become ready (log: $node_dir/plain/node.log)" >&2
    exit 1
  fi
  eval "$plain_out"
  if ! secure_out="$(launcher start --name secure --role primary --data-dir "$node_dir/secure" --peer "127.0.0.1:$nobody" \
      "${secure_launch[@]}" --jvm-opts "${PBKV_BENCH_NODE_JAVA_OPTS:-}" -- "${secure_node[@]}")"; then
    echo "bench grpc: the $on node did not become ready (log: $node_dir/secure/node.log)" >&2
    exit 1
  fi
  eval "$secure_out"
  echo "bench grpc: plain node on $plain_grpc, $on node on $secure_grpc; $rounds alternated rounds" >&2

  declare -A ops=() p50=() p99=()
  run_round() { # which round
    local which="$1" round="$2" out_file="$node_dir/round-$1-$2.out" result extra=()
    [ "$round" -gt 1 ] && extra+=(--no-preload)
    if [ "$which" = on ]; then extra+=(--server "$secure_grpc" "${secure_client[@]}"); else extra+=(--server "$plain_grpc"); fi
    java ${PBKV_BENCH_JAVA_OPTS:-} -cp "$tester_jar" dev.pbkv.tester.load.LoadGenerator \
      --out-dir "$root/target/bench" --duration 3 --warmup 1 --keys 10000 --label "$which $on round $round" \
      "${extra[@]}" "${args[@]}" > "$out_file" 2>"$node_dir/round-$which-$round.err" \
      || { cat "$node_dir/round-$which-$round.err" "$out_file" >&2; return 1; }
    result="$(sed -n 's/^result: //p' "$out_file")"
    ops[$which,$round]="$(jq -r .opsPerSec "$result")"
    p50[$which,$round]="$(jq -r .latencyMicros.p50 "$result")"
    p99[$which,$round]="$(jq -r .latencyMicros.p99 "$result")"
    echo "bench grpc: round $round $which ($([ "$which" = on ] && echo "$on" || echo plain)):" \
      "${ops[$which,$round]} ops/s, p50 ${p50[$which,$round]} us, p99 ${p99[$which,$round]} us," \
      "errors $(jq -r .errors "$result")" >&2
  }
  for round in $(seq "$rounds"); do
    # The order alternates too, so neither side always runs on a machine the other just warmed.
    if [ $((round % 2)) = 1 ]; then order="off on"; else order="on off"; fi
    for which in $order; do run_round "$which" "$round" || exit 1; done
  done
  best() { local w="$1" r b=0; for r in $(seq "$rounds"); do b="$(awk -v a="$b" -v v="${ops[$w,$r]}" 'BEGIN{print (v > a ? v : a)}')"; done; echo "$b"; }
  median() { # array-name which
    local -n a="$1"; local r; for r in $(seq "$rounds"); do echo "${a[$2,$r]}"; done | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'
  }
  off_ops="$(best off)"; on_ops="$(best on)"
  echo "bench grpc $on on/off, $rounds alternated rounds (${args[*]:-the default workload}), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg):"
  printf '  ops/s (best round)  off %s  on %s  ratio on/off %s\n' "$off_ops" "$on_ops" "$(bench_ratio "$on_ops" "$off_ops")"
  printf '  p50 us (median)     off %s  on %s  ratio on/off %s\n' "$(median p50 off)" "$(median p50 on)" \
    "$(bench_ratio "$(median p50 on)" "$(median p50 off)")"
  printf '  p99 us (median)     off %s  on %s  ratio on/off %s\n' "$(median p99 off)" "$(median p99 on)" \
    "$(bench_ratio "$(median p99 on)" "$(median p99 off)")"
  exit 0
fi

if [ "$start" = 1 ]; then
  node_dir="$(bench_work_dir grpc)"
  echo "bench grpc: starting a node (data in $node_dir)" >&2
  # Its peer is a free port nobody listens on, so that it runs alone whatever settings say.
  nobody="$(launcher free-ports 1)"
  if ! assignments="$(launcher start --role primary --data-dir "$node_dir/data" --peer "127.0.0.1:$nobody" \
      --jvm-opts "${PBKV_BENCH_NODE_JAVA_OPTS:-}" -- "${node_opts[@]}")"; then
    echo "bench grpc: the node did not become ready (log: $node_dir/data/node.log)" >&2
    exit 1
  fi
  eval "$assignments"
  echo "bench grpc: the node serves on $primary_grpc" >&2
  args=(--server "$primary_grpc" "${args[@]}")
fi

status=0
java ${PBKV_BENCH_JAVA_OPTS:-} -cp "$tester_jar" dev.pbkv.tester.load.LoadGenerator \
  --config "$root/conf/settings.conf" --out-dir "$root/target/bench" "${args[@]}" || status=$?
exit "$status"
