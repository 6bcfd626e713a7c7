#!/usr/bin/env bash
# summary: gRPC load generator: N requests in flight (blocking or pipelined), ops/s and p50/p99/p99.9, JSON in target/bench/
#
# bin/bench grpc [--start [--node-opt ARG]...] [--server HOST:PORT]... [load generator options]
#   --server HOST:PORT   drive this node (repeat for a pair); default: the pair in conf/settings.conf
#   --start              start a throw-away primary from server/target/pbkv-server.jar on a free
#                        port with a temporary data directory, drive it, and stop it afterwards
#   --node-opt ARG       pass ARG to that node (e.g. --node-opt --fsync=no); repeatable
# Every other option goes to the load generator (bin/bench grpc --help lists them): --mode,
# --concurrency, --keys, --value-size, --read-ratio, --duration, --warmup, ...
# The JSON result is written under target/bench/ of this checkout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

start=0
node_opts=()
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --start) start=1 ;;
    --node-opt) [ $# -ge 2 ] || { echo "bench grpc: --node-opt needs a value" >&2; exit 2; }
                node_opts+=("$2"); shift ;;
    --node-opt=*) node_opts+=("${1#--node-opt=}") ;;
    -h|--help) sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; args+=("--help") ;;
    *) args+=("$1") ;;
  esac
  shift
done

# The load generator's classpath: the tester's runnable jar when it is built, else the tester's
# classes and their dependencies as Maven resolves them.
tester_jar="$root/tester/target/pbkv-tester.jar"
cp_file="$root/tester/target/bench-classpath.txt"
if [ -f "$tester_jar" ] && grep -aq 'dev/pbkv/tester/load/LoadGenerator.class' "$tester_jar"; then
  classpath="$tester_jar"
else
  if [ ! -f "$cp_file" ] || [ ! -f "$root/tester/target/classes/dev/pbkv/tester/load/LoadGenerator.class" ]; then
    echo "bench grpc: building the load generator (mvn -B -q -DskipTests package -pl tester -am)..." >&2
    mvn -B -q -DskipTests package dependency:build-classpath -pl tester -am \
      -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=runtime >&2
  fi
  classpath="$root/tester/target/classes:$(cat "$cp_file")"
fi

node_pid=""
node_dir=""
cleanup() {
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  # an if, not `[ ] && rm`: a false test as the trap's last command made the script exit 1
  if [ -n "$node_dir" ]; then rm -rf "$node_dir"; fi
}
trap cleanup EXIT

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "bench grpc: no free port found" >&2; return 1
}

if [ "$start" = 1 ]; then
  server_jar="$root/server/target/pbkv-server.jar"
  if [ ! -f "$server_jar" ]; then
    echo "bench grpc: building the server (mvn -B -q -DskipTests package -pl server -am)..." >&2
    mvn -B -q -DskipTests package -pl server -am >&2 || true
  fi
  if [ ! -f "$server_jar" ]; then
    echo "bench grpc: --start needs $server_jar, which this checkout does not build; use --server" >&2
    exit 2
  fi
  node_dir="$(mktemp -d "${TMPDIR:-/tmp}/pbkv-bench.XXXXXX")"
  port="$(free_port)"
  node_args=(-p --data-dir "$node_dir/data" --grpc-port "$port" --resp-port 0 --http-port 0)
  # Point the node at a peer that does not exist, so that it runs alone whatever settings say.
  if java -jar "$server_jar" --help 2>&1 | grep -q -- '--peer'; then
    node_args+=(--peer "127.0.0.1:$(free_port)")
  fi
  echo "bench grpc: starting a node on 127.0.0.1:$port (data in $node_dir)" >&2
  java ${PBKV_BENCH_NODE_JAVA_OPTS:-} -jar "$server_jar" "${node_args[@]}" "${node_opts[@]}" \
    >"$node_dir/node.log" 2>&1 &
  node_pid=$!
  ready=0
  for _ in $(seq 1 300); do
    if ! kill -0 "$node_pid" 2>/dev/null; then break; fi
    if "$root/bin/pbkv" --server "127.0.0.1:$port" --timeout 500ms count >/dev/null 2>&1; then
      ready=1; break
    fi
    sleep 0.1
  done
  if [ "$ready" != 1 ]; then
    echo "bench grpc: the node did not become ready; the end of its log:" >&2
    tail -n 30 "$node_dir/node.log" >&2 || true
    exit 1
  fi
  args=(--server "127.0.0.1:$port" "${args[@]}")
fi

status=0
java ${PBKV_BENCH_JAVA_OPTS:-} -cp "$classpath" dev.pbkv.tester.load.LoadGenerator \
  --config "$root/conf/settings.conf" --out-dir "$root/target/bench" "${args[@]}" || status=$?
exit "$status"
