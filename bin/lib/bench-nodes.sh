# Sourced by the benchmarks that start pbkv nodes (bench-grpc.sh, bench-pair.sh, bench-redis.sh):
# every node comes from the test kit's launcher (dev.pbkv.testkit.NodeLauncher, in the tester's
# jar), the same one the integration tests use: free loopback ports, <data-dir>/pbkv.pid, a
# node.log per node. Work directories go under target/bench/ of this checkout, not /tmp.
# Needs $root (the checkout).
server_jar="$root/server/target/pbkv-server.jar"
tester_jar="$root/tester/target/pbkv-tester.jar"

# ensure_bench_jars WHO: builds the server and the tester jars when one is missing.
ensure_bench_jars() {
  if [ ! -f "$server_jar" ] || [ ! -f "$tester_jar" ]; then
    echo "$1: building the server and the tester (mvn -B -q -DskipTests package -pl tester -am)..." >&2
    (cd "$root" && mvn -B -q -DskipTests package -pl server,tester -am >&2)
  fi
}

# launcher ARGS...: start, start-pair, stop, free-ports (launcher --help). Starts print shell
# assignments (NAME_pid, NAME_dir, NAME_grpc, NAME_resp, NAME_http, ...) for eval.
launcher() {
  local cmd="$1"; shift
  case "$cmd" in start|start-pair) set -- --server-jar "$server_jar" "$@" ;; esac
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$tester_jar" dev.pbkv.testkit.NodeLauncher "$cmd" "$@"
}

# bench_work_dir NAME: a fresh directory under target/bench/ for one run's nodes and logs.
bench_work_dir() {
  mkdir -p "$root/target/bench"
  mktemp -d "$root/target/bench/$1.XXXXXX"
}
