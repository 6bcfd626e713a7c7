#!/usr/bin/env bash
# bin/lib/pause-pid.sh PID_FILE|PID: SIGSTOP to the process, and returns only once every one of
# its threads has stopped (exit 1 if they have not within 10 s, or the process is not running).
# kill -STOP alone returns before that: the kernel hands the signal to one thread, which stops the
# rest only when it next runs, so on a busy machine a request sent right after kill -STOP may still
# be answered. The tester's default pause command. The Java twin: dev.pbkv.testkit.ProcessPause.
set -euo pipefail

if [ $# -ne 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: bin/lib/pause-pid.sh PID_FILE|PID   (SIGSTOP, then wait until every thread has stopped)" >&2
  exit 2
fi
if [[ "$1" =~ ^[0-9]+$ ]]; then
  pid="$1"
elif [ -f "$1" ]; then
  pid="$(tr -d '[:space:]' <"$1")"
else
  echo "pause-pid: no PID file $1" >&2
  exit 1
fi
kill -STOP "$pid"

# stopped: every /proc/PID/task/TID/stat says T or t (or Z/X: ending); read with builtins alone.
stopped() {
  local stat line state
  for stat in /proc/"$pid"/task/*/stat; do
    read -r line <"$stat" 2>/dev/null || continue # the thread ended since the glob
    state="${line##*) }"                           # comm may hold spaces and parentheses
    case "${state%% *}" in
      T|t|Z|X) ;;
      *) return 1 ;;
    esac
  done
}

deadline=$((SECONDS + 10))
while [ "$SECONDS" -le "$deadline" ]; do
  if [ ! -d /proc/"$pid" ]; then
    echo "pause-pid: pid $pid is not running" >&2
    exit 1
  fi
  if stopped; then
    exit 0
  fi
  sleep 0.002
done
echo "pause-pid: pid $pid did not stop within 10 s of SIGSTOP" >&2
exit 1
