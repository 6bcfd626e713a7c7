#!/usr/bin/env bash
# summary: start and stop times of the scripts: bin/start_server -p until the node answers and until the script returns, -b until the pair is in SYNC, bin/stop_server of each (median, max)
#
# bin/bench startup [--rounds N] [--coordinator]
#   --rounds N      start/stop cycles of a pair (default 5)
#   --coordinator   run the pair with the embedded coordinator (started once, before the rounds,
#                   and stopped at the end); default: coordinator.connect off
# Each round starts from empty data directories, as a harness written for the course servers
# does: `bin/start_server -p &`, then measures, from the moment the script was launched,
#   answer   the node's RESP door answers PING (what such a harness needs after its 1 s sleep),
#   return   bin/start_server -p returned,
# then `bin/start_server -b` until it returned and the primary reports SYNC (sync), then
# `bin/stop_server -b` and `bin/stop_server -p` until each returned. Free loopback ports; data and
# logs under target/bench/startup.*/; every node stopped by its PID at the end. The targets of
# issue 11 (idle machine): answer <= 1 s, start_server <= 1.5 s, stop_server <= 1 s.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
rounds=5
coordinator=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) sed -n '3,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --coordinator) coordinator=yes; shift ;;
    *) echo "bench startup: unknown option '$1'" >&2; exit 2 ;;
  esac
done
source "$root/bin/lib/bench-nodes.sh"
ensure_bench_jars "bench startup"

work="$(bench_work_dir startup)"
read -r pg pr ph bg br bh zk <<<"$(launcher free-ports 7)"
connect=off
[ -n "$coordinator" ] && connect="127.0.0.1:$zk"
settings="$work/settings.conf"
cat >"$settings" <<EOF
{"nodes": {
   "primary": {"grpc-port": $pg, "resp-port": $pr, "http-port": $ph, "data-dir": "$work/primary"},
   "backup":  {"grpc-port": $bg, "resp-port": $br, "http-port": $bh, "data-dir": "$work/backup"}},
 "coordinator": {"connect": "$connect", "data-dir": "$work/coordinator", "session-timeout-ms": 1500}}
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
# pong PORT: the RESP door answers PING.
pong() {
  timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "PING\r\n" >&3 && head -c 5 <&3 | grep -q PONG' \
    _ "$1" 2>/dev/null
}
# state HTTP_PORT: the state that node's /health names (read with bash alone).
state() {
  timeout 1 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
      printf "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3 && cat <&3' _ "$1" 2>/dev/null |
    sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p'
}

if [ -n "$coordinator" ]; then
  bin/start_coordinator "${cfg[@]}" >/dev/null
fi

answer=() ret=() sync=() stopb=() stopp=()
for ((i = 1; i <= rounds; i++)); do
  rm -rf "$work/primary" "$work/backup"
  t0="$(now_ms)"
  bin/start_server -p "${cfg[@]}" >"$work/start-p.out" 2>&1 &
  starter=$!
  until pong "$pr"; do
    kill -0 "$starter" 2>/dev/null || [ -f "$work/primary/node.json" ] || { cat "$work/start-p.out"; exit 1; }
    sleep 0.01
  done
  answer+=($(($(now_ms) - t0)))
  wait "$starter" || { cat "$work/start-p.out"; exit 1; }
  ret+=($(($(now_ms) - t0)))

  t0="$(now_ms)"
  bin/start_server -b "${cfg[@]}" >/dev/null
  until [ "$(state "$ph")" = SYNC ]; do sleep 0.01; done
  sync+=($(($(now_ms) - t0)))

  t0="$(now_ms)"
  bin/stop_server -b "${cfg[@]}" >/dev/null
  stopb+=($(($(now_ms) - t0)))
  t0="$(now_ms)"
  bin/stop_server -p "${cfg[@]}" >/dev/null
  stopp+=($(($(now_ms) - t0)))
  echo "round $i: -p answers ${answer[-1]} ms, returns ${ret[-1]} ms; -b until SYNC ${sync[-1]} ms;" \
    "stop -b ${stopb[-1]} ms, stop -p ${stopp[-1]} ms"
done
[ -n "$coordinator" ] && bin/stop_coordinator "${cfg[@]}" >/dev/null

# med_max VALUES...: "median M ms, max X ms".
med_max() {
  local sorted
  mapfile -t sorted < <(printf '%s\n' "$@" | sort -n)
  echo "median ${sorted[$((${#sorted[@]} / 2))]} ms, max ${sorted[-1]} ms"
}
echo "start_server -p, node answers: $(med_max "${answer[@]}")"
echo "start_server -p returns:       $(med_max "${ret[@]}")"
echo "start_server -b, pair in SYNC: $(med_max "${sync[@]}")"
echo "stop_server -b returns:        $(med_max "${stopb[@]}")"
echo "stop_server -p returns:        $(med_max "${stopp[@]}")"
echo "coordinator: ${coordinator:-off}; load average: $(cut -d' ' -f1-3 /proc/loadavg); work dir $work"
