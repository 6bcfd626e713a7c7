#!/usr/bin/env bash
# summary: durable writes/s of the store's log per fsync policy (group commit); --quick (<1 min) or --full
# Usage: bin/bench log [--quick|--full] [--threads N] [--window N]
# Runs dev.pbkv.bench.LogThroughputHarness from bench/target/pbkv-benchmarks.jar (built when missing):
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
source "$root/bin/lib/benchmarks-jar.sh"
ensure_benchmarks_jar "bin/bench log"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
mkdir -p "$bench_tmp"
exec java -Djava.io.tmpdir="$bench_tmp" -cp "$benchmarks_jar" dev.pbkv.bench.LogThroughputHarness "$seconds" "$threads" "$window" "$rounds"
