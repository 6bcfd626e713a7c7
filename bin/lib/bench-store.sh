#!/usr/bin/env bash
# summary: store engine (BucketedMap) vs ConcurrentHashMap, JMH; --quick (smoke run, about a minute on an idle machine) or --full (~8 min)
# Usage: bin/bench store [--quick|--full]
# Runs dev.pbkv.bench.StoreBenchmarkMain from bench/target/pbkv-benchmarks.jar (built when missing),
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
source "$root/bin/lib/benchmarks-jar.sh"
ensure_benchmarks_jar "bin/bench store"
mkdir -p "$bench_tmp"
exec java -Djava.io.tmpdir="$bench_tmp" -cp "$benchmarks_jar" dev.pbkv.bench.StoreBenchmarkMain "$mode" --out "$root/target/bench/store"
