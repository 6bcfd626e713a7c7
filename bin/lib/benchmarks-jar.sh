# Sourced by bench-store.sh and bench-log.sh: bench/target/pbkv-benchmarks.jar (the bench module's
# runnable jar: JMH, the store, every benchmark), rebuilt when a source of it is newer.
# Needs $root (the checkout). PBKV_MVN_OFFLINE=1 builds with mvn -o.
benchmarks_jar="$root/bench/target/pbkv-benchmarks.jar"
# JMH's fork output files and the log harness's store directory: under target/bench/, not /tmp.
bench_tmp="$root/target/bench/tmp"
ensure_benchmarks_jar() {
  if [ -f "$benchmarks_jar" ] && [ -z "$(find "$root/bench/src" "$root/bench/pom.xml" "$root/store/src/main" \
      "$root/store/pom.xml" -newer "$benchmarks_jar" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  local offline=()
  [ -n "${PBKV_MVN_OFFLINE:-}" ] && offline=(-o)
  echo "$1: building $benchmarks_jar (mvn -B -q -DskipTests package -pl bench -am)..." >&2
  (cd "$root" && mvn -B -q "${offline[@]}" -DskipTests package -pl bench -am >&2)
}
