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
# Every other option goes to the load generator (bin/bench grpc --help lists them): --mode,
# --concurrency, --keys, --value-size, --read-ratio, --duration, --warmup, ...
# The JSON result is written under target/bench/ of this checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

start=0
node_jar=""
node_opts=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
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
    launcher stop "$node_dir/data" || true
    rm -rf "$node_dir"
  fi
}
trap cleanup EXIT

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
