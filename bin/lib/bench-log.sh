#!/usr/bin/env bash
# summary: durable writes/s of the store's log per fsync policy (group commit); --quick (<1 min) or --full
# Usage: bin/bench log [--quick|--full] [--threads N] [--window N]
# Builds the store module's test classes (no install), then runs dev.pbkv.store.LogThroughputHarness:
# writer threads each keep a window of writes waiting on whenDurable; rounds alternate NO, ALWAYS,
# EVERYSEC and the medians are printed with their ratio to NO.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds=2 rounds=3 threads=2 window=1024
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) seconds=2; rounds=3 ;;
    --full) seconds=5; rounds=5 ;;
    --threads) threads="$2"; shift ;;
    --window) window="$2"; shift ;;
    -h|--help) sed -n 's/^# //p' "$0" | head -5; exit 0 ;;
    *) echo "bin/bench log: unknown option '$1'" >&2; exit 2 ;;
  esac
  shift
done
cd "$root"
offline=()
[ -n "${PBKV_MVN_OFFLINE:-}" ] && offline=(-o)
mvn -B -q "${offline[@]}" -pl store -am test-compile -DskipTests >/dev/null
cpfile="store/target/bench-log-classpath.txt"
if [ ! -s "$cpfile" ] || [ store/pom.xml -nt "$cpfile" ]; then
  mvn -B -q "${offline[@]}" -pl store dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$root/$cpfile" >/dev/null
fi
cp="store/target/test-classes:store/target/classes:$(cat "$cpfile")"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$cp" dev.pbkv.store.LogThroughputHarness \
  "$seconds" "$threads" "$window" "$rounds"
