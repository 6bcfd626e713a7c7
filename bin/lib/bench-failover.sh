#!/usr/bin/env bash
# summary: automatic failover: kill -9 the primary N times with writers running; kill to first accepted write (median, max), client pause, acknowledged writes lost (must be 0)
#
# bin/bench failover [--kills N] [--session-timeout-ms MS] [--clients C] [--seed S] [--server-jar JAR]
#   --kills N               kills of the primary (default 5; the issue's target run is 100+)
#   --session-timeout-ms MS the nodes' coordinator session timeout (default 1500; the product default is 3000)
#   --clients C             recording clients, reading and writing meanwhile (default 4)
# The robustness tier's kill-primary scenario with the coordinator (dev.pbkv.tester.bench.FailoverBench
# in the tester's jar): the embedded coordinator and a pair on free loopback ports, data under
# target/bench/failover-*/, every process stopped by its PID at the end. Each kill is held
# 2 x session timeout + 2 s so that the backup takes over by itself before the old primary restarts.
# The figures come from the recorded history: kill -> the first write acknowledged after it, and the
# client-visible pause (last acknowledged write before the kill -> first after). A summary is written
# to target/bench/failover-*.txt. Exit 1 if a write was lost or the history is not linearizable.
# Needs the coordinator (issue 10): without it, exits 2 and says so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
for a in "$@"; do
  case "$a" in -h|--help) sed -n '3,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;; esac
done
source "$root/bin/lib/bench-nodes.sh"
ensure_bench_jars "bench failover"
exec java ${PBKV_BENCH_JAVA_OPTS:-} -cp "$tester_jar" dev.pbkv.tester.bench.FailoverBench --root "$root" --server-jar "$server_jar" "$@"
