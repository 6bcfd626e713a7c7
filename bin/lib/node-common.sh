# Sourced by bin/start_server, bin/stop_server, bin/start_coordinator and bin/stop_coordinator: the
# repository root, the server jar (built when missing), the role from -p|-b, the node's data
# directory as the node itself resolves it, and the embedded coordinator the settings name.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
jar="$root/server/target/pbkv-server.jar"
java_cmd="${JAVA:-java}"

# role_of ARGS...: prints primary or backup (from -p/-b/--primary/--backup/--role X), or nothing.
role_of() {
  local prev=""
  for a in "$@"; do
    case "$a" in
      -p|--primary) echo primary; return ;;
      -b|--backup) echo backup; return ;;
      --role=*) echo "${a#--role=}"; return ;;
    esac
    if [ "$prev" = "--role" ]; then echo "$a"; return; fi
    prev="$a"
  done
}

ensure_jar() {
  if [ ! -f "$jar" ]; then
    echo "building pbkv (mvn -B -q -DskipTests package) ..." >&2
    if ! mvn -B -q -DskipTests package >&2; then
      echo "build failed" >&2
      exit 1
    fi
  fi
}

# cds_opts: the JVM flags that map the class-data archive built beside the jar (mvn package makes
# server/target/pbkv-server.jsa from a training start of a node: docs/performance.md "Start and
# stop"); nothing when it is missing or older than the jar, so a stale archive is never used.
cds_opts=()
if [ -f "$root/server/target/pbkv-server.jsa" ] && [ "$root/server/target/pbkv-server.jsa" -nt "$jar" ]; then
  cds_opts=(-XX:SharedArchiveFile="$root/server/target/pbkv-server.jsa" -Xshare:auto)
fi

# plan_cache ARGS...: the file that keeps the launch plan of these flags: server/target/launch-plans/
# under a key made of the working directory, the flags, and the size and modification time of the
# jar and of the settings file, so any change to them asks the JVM again.
plan_cache() {
  local config="conf/settings.conf" prev="" a key
  for a in "$@"; do
    case "$a" in --config=*) config="${a#--config=}" ;; esac
    [ "$prev" = "--config" ] && config="$a"
    prev="$a"
  done
  key="$({ printf '%s\0' "$PWD" "$@"; stat -c '%.9Y %s' "$jar" "$config" 2>/dev/null || true; } | sha1sum)"
  printf '%s\n' "$root/server/target/launch-plans/${key%% *}"
}

# keep_plan CACHE DIR COORD_PLAN: writes one launch plan (atomically: a rename).
keep_plan() {
  mkdir -p "${1%/*}"
  printf '%s\n%s\n' "$2" "$3" >"$1.$$" && mv -f "$1.$$" "$1"
}

# launch_plan ARGS...: sets dir (the node's absolute data directory) and coord_plan ("embedded HOST
# PORT DIR", "off" or "external") for the settings the flags choose. The answer of one short-lived
# JVM (data-dir --coordinator), kept (plan_cache), so a repeated start or stop runs no JVM but the
# node. The same JVM answers for the other role too (the same flags with -p and -b swapped) and
# that plan is kept as well: a harness that starts -p and then -b of a new build or settings file
# pays for one helper JVM, not two (0.25-0.35 s each, inside the second of a course harness).
# Bad flags or settings: prints the jar's first complaint and the script's --help hint, exits 2.
launch_plan() {
  local cache out a swapped="" other_dir other_coord
  local -a other_args=() extra=()
  cache="$(plan_cache "$@")"
  if [ -f "$cache" ]; then
    { read -r dir; read -r coord_plan; } <"$cache"
    return 0
  fi
  for a in "$@"; do
    case "$a" in
      -p) other_args+=(-b); swapped=yes ;;
      -b) other_args+=(-p); swapped=yes ;;
      --primary) other_args+=(--backup); swapped=yes ;;
      --backup) other_args+=(--primary); swapped=yes ;;
      *) other_args+=("$a") ;;
    esac
  done
  [ -n "$swapped" ] && extra=(--other-role)
  if ! out="$("$java_cmd" "${cds_opts[@]+"${cds_opts[@]}"}" -XX:TieredStopAtLevel=1 -jar "$jar" data-dir --coordinator \
      "${extra[@]+"${extra[@]}"}" "$@" 2>&1)"; then
    printf '%s\n' "$out" | grep -v -e '^Usage:' -e '^ \{2,\}' -e '^Prints the data' | head -n 3 >&2
    echo "see $(basename "$0") --help" >&2
    exit 2
  fi
  if [ -n "$swapped" ]; then
    dir="$(printf '%s\n' "$out" | tail -n 4 | head -n 1)"
    coord_plan="$(printf '%s\n' "$out" | tail -n 3 | head -n 1)"
    other_dir="$(printf '%s\n' "$out" | tail -n 2 | head -n 1)"
    other_coord="$(printf '%s\n' "$out" | tail -n 1)"
    if [ "$other_dir" != "-" ]; then
      keep_plan "$(plan_cache "${other_args[@]}")" "$other_dir" "$other_coord"
    fi
  else
    dir="$(printf '%s\n' "$out" | tail -n 2 | head -n 1)"
    coord_plan="$(printf '%s\n' "$out" | tail -n 1)"
  fi
  keep_plan "$cache" "$dir" "$coord_plan"
}

# json_field FILE KEY: the value of KEY in a one-line JSON file the node wrote (node.json), or nothing.
json_field() {
  sed -n 's/.*"'"$2"'":"\{0,1\}\([^",}]*\)"\{0,1\}[,}].*/\1/p' "$1" 2>/dev/null | head -n 1
}

# normalize_args ARGS...: sets args to ARGS without empty strings (harnesses written for the
# course servers pass a trailing "" argument), with --config "$PBKV_CONFIG" first when that
# variable is set and ARGS name no --config (how such a harness, which runs the scripts itself,
# starts the course layout: PBKV_CONFIG=conf/course.conf).
normalize_args() {
  args=()
  local a has_config=""
  for a in "$@"; do
    case "$a" in --config|--config=*) has_config=yes ;; esac
  done
  if [ -n "${PBKV_CONFIG:-}" ] && [ -z "$has_config" ]; then
    args+=(--config "$PBKV_CONFIG")
  fi
  for a in "$@"; do
    [ -n "$a" ] && args+=("$a")
  done
  return 0
}

# A node's PID lives in one place: <data-dir>/pbkv.pid, written by whoever launches it (this
# script, or the test kit's NodeProcess, same file name) and read by every script and test.
# is_pbkv_pid PID: the process exists and is a pbkv node (not a recycled PID).
is_pbkv_pid() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ps -o args= -p "$1" 2>/dev/null | grep -q -e 'pbkv-server' -e 'dev.pbkv.server.Main'
}

# The coordinator (bin/start_coordinator, bin/stop_coordinator, and bin/start_server before a node).
# collect_settings_flags ARGS...: the flags that choose the settings (--config FILE, --set KEY=VALUE,
# either spelling) into the array settings_args; the node's own flags are left out.
collect_settings_flags() {
  settings_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --config|--set)
        if [ $# -ge 2 ]; then settings_args+=("$1" "$2"); shift 2; else shift; fi ;;
      --config=*|--set=*) settings_args+=("$1"); shift ;;
      *) shift ;;
    esac
  done
}

# coordinator_plan: asks the jar which embedded coordinator the settings (settings_args) name.
# Returns 0 and sets coord_host, coord_port, coord_dir; or returns 3 (coordinator.connect is off),
# 4 (it names an ensemble or a host that is not loopback: not ours to run) or 2 (bad settings),
# with the jar's explanation in coord_reason.
coordinator_plan() {
  local out rc=0
  out="$("$java_cmd" -jar "$jar" coordinator --dry-run ${settings_args[@]+"${settings_args[@]}"} 2>&1)" || rc=$?
  coord_reason="$out"
  [ "$rc" -eq 0 ] || return "$rc"
  { read -r coord_host; read -r coord_port; read -r coord_dir; } <<<"$out"
}

# coordinator_serving HOST PORT: a ZooKeeper answers the srvr four-letter word there as a serving
# server (ruok is not enough: it answers "imok" even while the database failed to load). 2 s at most.
coordinator_serving() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf srvr >&3 && grep -q "^Zookeeper version:" <&3' \
    _ "$1" "$2" 2>/dev/null
}

# ensure_coordinator OUT: when the settings name a loopback coordinator that does not answer, start
# it (bin/start_coordinator, its output to the file OUT) in the background and set coord_starter
# to its PID, so the node starts meanwhile (its coordinator client retries until it serves); an
# "off" or production connect string is left alone (coord_starter empty). Uses coord_plan from
# launch_plan. The caller waits for coord_starter with await_coordinator.
ensure_coordinator() {
  local kind host port cdir
  coord_starter=""
  read -r kind host port cdir <<<"$coord_plan"
  [ "$kind" = embedded ] || return 0
  coordinator_serving "$host" "$port" && return 0
  "$root/bin/start_coordinator" ${settings_args[@]+"${settings_args[@]}"} >"$1" 2>&1 </dev/null &
  coord_starter=$!
}

# await_coordinator OUT: waits for the coordinator's start (if ensure_coordinator began one),
# prints its output and returns its exit status.
await_coordinator() {
  [ -n "$coord_starter" ] || return 0
  local rc=0
  wait "$coord_starter" || rc=$?
  coord_starter=""
  cat "$1" 2>/dev/null || true
  rm -f "$1"
  return "$rc"
}
