#!/usr/bin/env bash
# summary: start and stop times of the scripts run as course harnesses run them: -p until it answers and returns, -b until the pair takes writes, stop -b until a strict primary refuses (median, max)
#
# bin/bench startup [--rounds N] [--coordinator] [--course] [--pause MS]
#   --rounds N      start/stop cycles of a pair (default 5)
#   --coordinator   the pair takes its roles from the embedded coordinator (1500 ms session),
#                   started once before the rounds and stopped at the end; default: connect off
#   --course        the course layout of conf/course.conf on free ports: strict mode, no
#                   persistence, the configured primary preferred, the coordinator with a
#                   1000 ms session (implies --coordinator)
#   --pause MS      start the backup no sooner than MS after the primary's launch, as a course
#                   harness does with its sleep of about a second (1000); default 0: at once,
#                   while the primary's JVM still compiles on the other core
#   --no-empty-arg  leave out the empty argument course harnesses append (for scripts from before
#                   they ignored it: the baseline of docs/performance.md)
# Each round starts from empty data directories and runs the scripts in the background, as a
# harness written for the course servers does (`bin/start_server -p "" &`), timing from each launch:
#   -p answers   the primary's HTTP door answers GET /kvman/countkey (what such a harness needs
#                after its one second sleep); -p returns: bin/start_server -p returned;
#   -b writes    after `bin/start_server -b &`, the primary accepts an insert over HTTP (strict:
#                only once the backup is attached); -b returns: the script returned;
#   stop -b refuses  (strict only) after `bin/stop_server -b &`, the primary refuses an insert;
#   stop -b / stop -p returns: the scripts returned.
# Free loopback ports; data and logs under target/bench/startup.*/; every process stopped by its
# PID at the end. Targets (issues 11 and 14, idle machine): -p answers <= 1 s, -b writes <= 1 s,
# stop -b refuses <= 0.5 s, start_server <= 1.5 s, stop_server <= 1 s.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rounds=5
coordinator=""
course=""
pause=0
e=("")
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '3,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --coordinator) coordinator=yes; shift ;;
    --course) course=yes; coordinator=yes; shift ;;
    --pause) pause="$2"; shift 2 ;;
    --no-empty-arg) e=(); shift ;;
    *) echo "bench startup: unknown option '$1'" >&2; exit 2 ;;
  esac
done
source "$root/bin/lib/bench-nodes.sh"
ensure_bench_jars "bench startup"

work="$(bench_work_dir startup)"
read -r pg pr ph bg br bh zk <<<"$(launcher free-ports 7)"
connect=off
[ -n "$coordinator" ] && connect="127.0.0.1:$zk"
# The course layout's session; 1500 ms (the shortest before the course layout) otherwise.
session=1500
[ -n "$course" ] && session=1000
extra=""
[ -n "$course" ] && extra='"store": {"persistence": "none"},
 "replication": {"require-backup": true, "prefer-configured-primary": true},'
settings="$work/settings.conf"
cat >"$settings" <<EOF
{"nodes": {
   "primary": {"grpc-port": $pg, "resp-port": $pr, "http-port": $ph, "data-dir": "$work/primary"},
   "backup":  {"grpc-port": $bg, "resp-port": $br, "http-port": $bh, "data-dir": "$work/backup"}},
 $extra
 "coordinator": {"connect": "$connect", "data-dir": "$work/coordinator", "session-timeout-ms": $session}}
EOF
cfg=(--config "$settings")

cleanup() {
  for d in primary backup coordinator; do
    pid="$(cat "$work/$d/pbkv.pid" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# http METHOD PATH [BODY]: the primary's answer (headers and body), with bash alone; 1 s at most.
http() {
  timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
      printf "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s" \
        "$2" "$3" "${#4}" "$4" >&3 && cat <&3' _ "$ph" "$1" "$2" "${3:-}" 2>/dev/null
}
answers() { http GET /kvman/countkey | grep -q '"result"'; }
n=0
inserts() { n=$((n + 1)); http POST /kv/insert "key=k$n&value=v" | grep -q '"success":"true"'; }

if [ -n "$coordinator" ]; then
  bin/start_coordinator "${cfg[@]}" >/dev/null
fi

answer=() ret=() bwrites=() bret=() refuses=() stopb=() stopp=()
for ((i = 1; i <= rounds; i++)); do
  rm -rf "$work/primary" "$work/backup"
  t0="$(now_ms)"
  bin/start_server -p ${e[@]+"${e[@]}"} "${cfg[@]}" >"$work/start-p.out" 2>&1 &
  starter=$!
  until answers; do
    kill -0 "$starter" 2>/dev/null || [ -f "$work/primary/node.json" ] || { cat "$work/start-p.out"; exit 1; }
    sleep 0.01
  done
  answer+=($(($(now_ms) - t0)))
  wait "$starter" || { cat "$work/start-p.out"; exit 1; }
  ret+=($(($(now_ms) - t0)))
  while [ $(($(now_ms) - t0)) -lt "$pause" ]; do sleep 0.01; done

  t0="$(now_ms)"
  bin/start_server -b ${e[@]+"${e[@]}"} "${cfg[@]}" >"$work/start-b.out" 2>&1 &
  starter=$!
  until inserts; do sleep 0.01; done
  bwrites+=($(($(now_ms) - t0)))
  wait "$starter" || { cat "$work/start-b.out"; exit 1; }
  bret+=($(($(now_ms) - t0)))

  t0="$(now_ms)"
  bin/stop_server -b ${e[@]+"${e[@]}"} "${cfg[@]}" >/dev/null &
  stopper=$!
  if [ -n "$course" ]; then
    while inserts; do sleep 0.01; done
    refuses+=($(($(now_ms) - t0)))
  fi
  wait "$stopper"
  stopb+=($(($(now_ms) - t0)))
  t0="$(now_ms)"
  bin/stop_server -p ${e[@]+"${e[@]}"} "${cfg[@]}" >/dev/null
  stopp+=($(($(now_ms) - t0)))
  echo "round $i: -p answers ${answer[-1]} ms, returns ${ret[-1]} ms; -b writes ${bwrites[-1]} ms," \
    "returns ${bret[-1]} ms; ${course:+stop -b refuses ${refuses[-1]} ms, }stop -b ${stopb[-1]} ms, stop -p ${stopp[-1]} ms"
done
[ -n "$coordinator" ] && bin/stop_coordinator "${cfg[@]}" >/dev/null

# med_max VALUES...: "median M ms, max X ms".
med_max() {
  local sorted
  mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
  echo "median ${sorted[$((${#sorted[@]} / 2))]} ms, max ${sorted[-1]} ms"
}
echo "start_server -p &, primary answers:  $(med_max "${answer[@]}")"
echo "start_server -p returns:             $(med_max "${ret[@]}")"
echo "start_server -b &, pair takes writes: $(med_max "${bwrites[@]}")"
echo "start_server -b returns:             $(med_max "${bret[@]}")"
[ -n "$course" ] && echo "stop_server -b &, primary refuses:   $(med_max "${refuses[@]}")"
echo "stop_server -b returns:              $(med_max "${stopb[@]}")"
echo "stop_server -p returns:              $(med_max "${stopp[@]}")"
echo "layout: ${course:+course, }coordinator ${coordinator:-off}, -b ${pause} ms after -p at the earliest; load average: $(cut -d' ' -f1-3 /proc/loadavg); work dir $work"
