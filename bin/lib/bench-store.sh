#!/usr/bin/env bash
# summary: store engine (BucketedMap) vs ConcurrentHashMap, JMH; --quick (smoke run, about a minute on an idle machine) or --full (~8 min)
# Usage: bin/bench store [--quick|--full]
# Builds the store module's test classes (no install), then runs dev.pbkv.store.bench.StoreBenchmarkMain,
# which runs JMH at 1 and 2 threads and prints throughput, bytes per entry, their ratios and full GCs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mode="--full"
for a in "$@"; do
  case "$a" in
    --quick|--full) mode="$a" ;;
    -h|--help) sed -n 's/^# //p' "$0" | head -4; exit 0 ;;
    *) echo "bin/bench store: unknown option '$a' (use --quick or --full)" >&2; exit 2 ;;
  esac
done
cd "$root"
offline=()
[ -n "${PBKV_MVN_OFFLINE:-}" ] && offline=(-o)
mvn -B -q "${offline[@]}" -pl store -am test-compile -DskipTests >/dev/null
cpfile="store/target/bench-classpath.txt"
if [ ! -s "$cpfile" ] || [ store/pom.xml -nt "$cpfile" ]; then
  mvn -B -q "${offline[@]}" -pl store dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cpfile" >/dev/null
fi
cp="store/target/test-classes:store/target/classes:$(cat "$cpfile")"
exec java -cp "$cp" dev.pbkv.store.bench.StoreBenchmarkMain "$mode" --out "$root/store/target/bench-store"
