#!/usr/bin/env bash
# summary: redis-benchmark SET/GET at -P 1 and -P 16: redis-server vs one pbkv node, and a Redis replica pair vs the pbkv pair
#
# Usage: bin/bench redis [--requests N] [--rounds R] [--only a,b,c,d,s] [--jar PATH] [--out DIR] [--keep-logs]
#                        [--tls] [--auth]
#
#   (a) redis-server, no persistence            (b) one pbkv node (fsync per --node-fsync, default no)
#   (c) redis-server + replica, appendfsync always (d) the pbkv pair in SYNC, fsync always
#   (s) --tls and/or --auth: (b) with TLS (development certificates) and/or a user; then the
#       setups are b,s unless --only, the defaults --requests 50000 --rounds 3, and the report has
#       the same-run ratio (s)/(b); redis-benchmark gets --tls --cacert and --user/-a
#
# Every figure comes from `redis-benchmark -c 50 -d 100 -t set,get -P {1,16} --csv` against the
# primary of each setup, in this one run, after a short warm-up pass (the JVM compiles its hot
# paths; Redis is unaffected). Setups compared run side by side and alternate for R rounds
# (default 1; use 3 on a busy machine): each figure is the best of its rounds. It prints every figure and the ratios (b)/(a) and (d)/(c), writes
# target/bench/redis.md (Markdown table), redis.csv and redis.png (gnuplot). It installs
# redis-server, redis-tools and gnuplot-nox from Debian when they are missing (needs root).
# Everything it starts listens on 127.0.0.1 only, on free ports, and is stopped by PID on exit;
# the pbkv nodes come from the test kit's launcher (bin/lib/bench-nodes.sh), their PIDs are in
# their pbkv.pid files, and the run's files are under target/bench/ (kept with --keep-logs).
set -euo pipefail

here="$(cd "$(dirname "$0")/../.." && pwd)"
root="$here"
requests=""
rounds=""
warmup=""
only=""
tls=0
auth=0
jar="$here/server/target/pbkv-server.jar"
out="$here/target/bench"
node_fsync="no"
keep_logs=0
clients=50
data_size=100

usage() { sed -n '4,18s/^# \{0,1\}//p' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --requests|-n) requests="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --jar) jar="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --node-fsync) node_fsync="$2"; shift 2 ;;
    --keep-logs) keep_logs=1; shift ;;
    --tls) tls=1; shift ;;
    --auth) auth=1; shift ;;
    -h|--help) usage; echo "  --node-fsync always|everysec|no   fsync policy of (b); (d) always uses always"; exit 0 ;;
    *) echo "bench redis: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
secure=$(( tls || auth ))
if [ "$secure" = 1 ]; then
  : "${requests:=50000}" "${rounds:=3}" "${warmup:=20000}" "${only:=b,s}"
  case "$tls$auth" in 10) on="TLS" ;; 01) on="auth" ;; *) on="TLS+auth" ;; esac
else
  : "${requests:=200000}" "${rounds:=1}" "${warmup:=50000}" "${only:=a,b,c,d}"
fi
want() { case ",$only," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }

log() { printf '[bench redis] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---- tools -------------------------------------------------------------------------------------
ensure_tools() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v redis-benchmark >/dev/null || missing+=(redis-tools)
  command -v redis-cli >/dev/null || missing+=(redis-tools)
  command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
  [ ${#missing[@]} -eq 0 ] && return 0
  local pkgs; pkgs="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
  if [ "$(id -u)" -ne 0 ]; then
    die "missing $pkgs; install them (as root: apt-get update && apt-get install -y $pkgs)"
  fi
  log "installing $pkgs from Debian"
  apt-get update -qq >/dev/null
  # The postinst of redis-server may try to start the service; we never rely on it.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
}

# ---- processes ---------------------------------------------------------------------------------
source "$here/bin/lib/bench-nodes.sh"
server_jar="$jar"
ensure_bench_jars "bench redis"
work="$(bench_work_dir redis)"
pids=()      # redis-server processes (children of this script)
node_dirs=() # pbkv nodes, stopped through their PID files
cleanup() {
  local pid
  stop_pbkv
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [ "$keep_logs" -eq 1 ]; then log "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_redis() {
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

stop_pbkv() {
  if [ ${#node_dirs[@]} -gt 0 ]; then launcher stop --grace 10 "${node_dirs[@]}" || true; fi
  node_dirs=()
}

# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND until it succeeds.
wait_for() {
  local what="$1" seconds="$2"; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then log "timed out after ${seconds}s waiting for $what"; return 1; fi
    sleep 0.2
  done
}
pong() { [ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" = "PONG" ]; }
info_has() { redis-cli -h 127.0.0.1 -p "$1" INFO replication 2>/dev/null | tr -d '\r' | grep -qx "$2"; }

start_redis() { # name port [extra redis-server args...]
  local name="$1" port="$2"; shift 2
  mkdir -p "$work/$name"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$work/$name" --daemonize no --protected-mode no \
    --logfile "$work/$name/redis.log" "$@" &
  pids+=($!)
  wait_for "redis-server $name on port $port" 20 pong "$port" || die "redis-server $name did not start (log: $work/$name/redis.log)"
}

# The pair's settings, as conf/settings.conf has them, with this run's fsync; the ports and data
# directories come from the launcher.
write_pbkv_settings() { # file fsync
  cat > "$1" <<JSON
{
  "store": { "memory": "256m", "buckets": 32, "fsync": "$2", "snapshot-log-bytes": "64m", "retained-log-bytes": "64m" },
  "limits": { "max-key-bytes": 1024, "max-value-bytes": 1048576, "max-scan-limit": 10000,
              "resp-max-bulk-bytes": 2097152, "resp-max-args": 1024, "resp-max-inline-bytes": 65536 },
  "replication": { "require-backup": false, "heartbeat-ms": 100, "peer-timeout-ms": 1000, "batch-max-records": 1024,
                   "snapshot-chunk-bytes": 1048576, "snapshot-rate-bytes-per-sec": "0" }
}
JSON
}

# start_pbkv_alone SETTINGS [NAME [LAUNCHER FLAGS...]]: one primary whose peer nobody listens on,
# in $work/pbkv-NAME; sets NAME_resp (NAME: alone by default).
start_pbkv_alone() {
  local out nobody settings="$1" name="${2:-alone}"
  shift; [ $# -gt 0 ] && shift
  nobody="$(launcher free-ports 1)"
  node_dirs+=("$work/pbkv-$name")
  out="$(launcher start --name "$name" --role primary --data-dir "$work/pbkv-$name" --peer "127.0.0.1:$nobody" \
    "$@" --jvm-opts "${PBKV_JAVA_OPTS:-}" -- --config "$settings")" || return 1
  eval "$out"
}

# start_pbkv_pair SETTINGS: a primary and a backup that know each other; sets primary_resp.
start_pbkv_pair() {
  local out
  node_dirs+=("$work/pbkv-pair/primary" "$work/pbkv-pair/backup")
  out="$(launcher start-pair --dir "$work/pbkv-pair" --jvm-opts "${PBKV_JAVA_OPTS:-}" -- --config "$1")" || return 1
  eval "$out"
}

# A setup that cannot be brought up is reported as skipped; the others are still measured.
skip_setup() { # setup reason
  log "($1) skipped: $2"
  skipped+=("($1) $2")
  only="$(printf '%s' "$only" | tr ',' '\n' | grep -vx "$1" | paste -sd, -)"
}
skipped=()

# ---- measuring ---------------------------------------------------------------------------------
declare -A rps=()
# client_flags SETUP: sets the array cflags, redis-benchmark's flags for that setup: TLS trusting
# the run's CA and the bench user for (s), none for the others. The password is a throw-away one
# of this run, on loopback; redis-benchmark has no other way to take it than -a.
client_flags() {
  cflags=()
  if [ "$1" = s ]; then
    if [ "$tls" = 1 ]; then cflags+=(--tls --cacert "$work/certs/ca.pem"); fi
    if [ "$auth" = 1 ]; then cflags+=(--user bench -a "$(cat "$work/bench.password")"); fi
  fi
  return 0
}
measure() { # setup port round
  local setup="$1" port="$2" round="$3" p csv test value
  client_flags "$setup"
  if [ "$round" -eq 1 ] && [ "$warmup" -gt 0 ]; then
    redis-benchmark -h 127.0.0.1 -p "$port" "${cflags[@]}" -c "$clients" -d "$data_size" -t set,get -P 16 -n "$warmup" --csv \
      > /dev/null 2>&1 || true
  fi
  for p in 1 16; do
    csv="$(redis-benchmark -h 127.0.0.1 -p "$port" "${cflags[@]}" -c "$clients" -d "$data_size" -t set,get -P "$p" \
      -n "$requests" --csv 2>"$work/benchmark-$setup-$p.err")" || die "redis-benchmark failed on ($setup): $(cat "$work/benchmark-$setup-$p.err")"
    for test in SET GET; do
      value="$(printf '%s\n' "$csv" | tr -d '"' | awk -F, -v t="$test" '$1 == t { printf "%d", $2 }')"
      [ -n "$value" ] || die "no $test figure from redis-benchmark on ($setup) at -P $p: $csv"
      log "($setup) round $round -P $p $test: $value requests/s"
      if [ -z "${rps[$setup,$p,$test]:-}" ] || [ "$value" -gt "${rps[$setup,$p,$test]}" ]; then
        rps["$setup,$p,$test"]="$value"
      fi
    done
  done
}

ensure_tools

log "redis-benchmark -c $clients -d $data_size -t set,get -n $requests at -P 1 and -P 16; setups: $only"
log "$(redis-server --version)"

# Each pair of setups to compare runs side by side, and the rounds alternate between them, so
# both see the same machine (other load on a shared machine moves every figure); each figure is
# the best of its rounds.
declare -A port_of=()
if want a; then
  port_of[a]="$(launcher free-ports 1)"
  start_redis redis-alone "${port_of[a]}" --save '' --appendonly no
fi
if want b; then
  write_pbkv_settings "$work/single.conf" "$node_fsync"
  if start_pbkv_alone "$work/single.conf"; then
    port_of[b]="$alone_resp"
  else
    skip_setup b "the node did not start (see --keep-logs)"
  fi
fi
if want s; then
  source "$here/bin/lib/bench-secure.sh"
  make_bench_secrets "$work" || die "could not make certificates and a user"
  write_pbkv_settings "$work/secure-base.conf" "$node_fsync"
  if [ "$auth" = 1 ]; then with_bench_user "$work/secure-base.conf" "$work/secure.conf" "$work"
  else cp "$work/secure-base.conf" "$work/secure.conf"; fi
  secure_launch=()
  if [ "$tls" = 1 ]; then bench_tls_flags "$work"; secure_launch+=("${bench_tls[@]}"); fi
  if start_pbkv_alone "$work/secure.conf" secure "${secure_launch[@]}"; then
    port_of[s]="$secure_resp"
  else
    skip_setup s "the $on node did not start (see --keep-logs)"
  fi
fi
for round in $(seq "$rounds"); do
  # The order alternates too, so that no setup always runs right after the same other one.
  order="a b s"; if [ $((round % 2)) = 0 ]; then order="s b a"; fi
  for s in $order; do if want "$s"; then measure "$s" "${port_of[$s]}" "$round"; fi; done
done
stop_redis; stop_pbkv
rm -rf "$work/pbkv-alone" "$work/pbkv-secure"

if want c; then
  read -r port_of_c replica < <(launcher free-ports 2)
  port_of[c]="$port_of_c"
  start_redis redis-primary "${port_of[c]}" --save '' --appendonly yes --appendfsync always
  start_redis redis-replica "$replica" --save '' --appendonly yes --appendfsync always \
    --replicaof 127.0.0.1 "${port_of[c]}"
  wait_for "the Redis replica's link" 30 info_has "$replica" "master_link_status:up" \
    || skip_setup c "the Redis replica did not link"
fi
if want d; then
  write_pbkv_settings "$work/pair.conf" always
  if start_pbkv_pair "$work/pair.conf" \
    && wait_for "the pbkv pair to reach SYNC" 60 info_has "$primary_resp" "pbkv_state:SYNC"; then
    port_of[d]="$primary_resp"
  else
    skip_setup d "the pair did not reach SYNC within 60 s (see --keep-logs)"
  fi
fi
for round in $(seq "$rounds"); do
  for s in c d; do if want "$s"; then measure "$s" "${port_of[$s]}" "$round"; fi; done
done
stop_redis; stop_pbkv

# ---- report ------------------------------------------------------------------------------------
mkdir -p "$out"
label() {
  case "$1" in
    a) echo "(a) redis-server, no persistence" ;;
    b) echo "(b) pbkv, one node (fsync $node_fsync)" ;;
    c) echo "(c) redis-server + replica, appendfsync always" ;;
    d) echo "(d) pbkv pair in SYNC, fsync always" ;;
    s) echo "(s) pbkv, one node with $on (fsync $node_fsync)" ;;
  esac
}
fig() { echo "${rps[$1]:-}"; }
ratio() { # numerator-key denominator-key
  local n="${rps[$1]:-}" d="${rps[$2]:-}"
  if [ -n "$n" ] && [ -n "$d" ] && [ "$d" -gt 0 ]; then awk -v n="$n" -v d="$d" 'BEGIN { printf "%.2f", n / d }'; else echo "-"; fi
}

{
  echo "# redis-benchmark: pbkv vs Redis"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(redis-server --version | awk '{print $3}'), "\
"\`redis-benchmark -c $clients -d $data_size -t set,get -n $requests --csv\`, after a $warmup-request warm-up, "\
"best of $rounds alternating round(s); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| setup | SET -P 1 | GET -P 1 | SET -P 16 | GET -P 16 |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for s in a b c d s; do
    want "$s" || continue
    echo "| $(label "$s") | $(fig "$s,1,SET") | $(fig "$s,1,GET") | $(fig "$s,16,SET") | $(fig "$s,16,GET") |"
  done
  echo
  echo "| ratio | SET -P 1 | GET -P 1 | SET -P 16 | GET -P 16 | target |"
  echo "| --- | ---: | ---: | ---: | ---: | --- |"
  if want a && want b; then
    echo "| (b)/(a) one node vs Redis | $(ratio b,1,SET a,1,SET) | $(ratio b,1,GET a,1,GET) | $(ratio b,16,SET a,16,SET) | $(ratio b,16,GET a,16,GET) | >= 1.0 |"
  fi
  if want b && want s; then
    echo "| (s)/(b) $on on/off, same run | $(ratio s,1,SET b,1,SET) | $(ratio s,1,GET b,1,GET) | $(ratio s,16,SET b,16,SET) | $(ratio s,16,GET b,16,GET) | the cost of $on |"
  fi
  if ! { want a && want b; } && ! { want c && want d; } && ! { want b && want s; }; then
    echo "| (no pbkv/Redis pair of setups measured in this run) | - | - | - | - | |"
  fi
  if want c && want d; then
    echo "| (d)/(c) pair vs Redis + replica | $(ratio d,1,SET c,1,SET) | $(ratio d,1,GET c,1,GET) | $(ratio d,16,SET c,16,SET) | $(ratio d,16,GET c,16,GET) | >= 1.0 |"
  fi
  echo
  echo "Figures are requests per second. Reproduce with \`bin/bench redis$([ "$tls" = 1 ] && printf ' --tls')$([ "$auth" = 1 ] && printf ' --auth')\`."
  for note in "${skipped[@]}"; do echo; echo "Not measured: $note."; done
} > "$out/redis.md"

{
  echo "setup,pipeline,test,requests_per_second"
  for key in "${!rps[@]}"; do echo "$key,${rps[$key]}"; done | sort
} > "$out/redis.csv"

if command -v gnuplot >/dev/null; then
  {
    echo "setup SET-P1 GET-P1 SET-P16 GET-P16"
    for s in a b c d s; do
      want "$s" || continue
      echo "\"$(label "$s" | sed 's/^(\(.\)) /(\1)\\n/; s/, /\\n/')\" $(fig "$s,1,SET") $(fig "$s,1,GET") $(fig "$s,16,SET") $(fig "$s,16,GET")"
    done
  } > "$work/redis.dat"
  gnuplot <<GP || log "gnuplot failed; the table is still in $out/redis.md"
set terminal pngcairo size 1100,600 noenhanced font ",10"
set output "$out/redis.png"
set title "redis-benchmark -c $clients -d $data_size (requests/s, higher is better)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set bmargin 5
set ylabel "requests/s"
set grid ytics
set format y "%.0s%c"
set yrange [0:*]
plot "$work/redis.dat" using 2:xtic(1) title columnheader, '' using 3 title columnheader, \
     '' using 4 title columnheader, '' using 5 title columnheader
GP
fi

cat "$out/redis.md"
log "wrote $out/redis.md, $out/redis.csv$( [ -f "$out/redis.png" ] && echo ", $out/redis.png")"
