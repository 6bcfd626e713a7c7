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

# data_dir ARGS...: the absolute data directory of the node these flags start.
data_dir() {
  local out
  if ! out="$("$java_cmd" -jar "$jar" data-dir "$@" 2>&1)"; then
    echo "$out" >&2
    exit 2
  fi
  printf '%s\n' "$out" | tail -n 1
}

# A node's PID lives in one place: <data-dir>/pbkv.pid, written by whoever launches it (this
# script, or the test kit's NodeProcess, same file name) and read by every script and test.
# is_pbkv_pid PID: the process exists and is a pbkv node (not a recycled PID).
is_pbkv_pid() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ps -o args= -p "$1" 2>/dev/null | grep -q -e 'pbkv-server' -e 'dev.pbkv.server.Main'
}

# node_fields DIR FIELD...: the node's state as `status --field` prints it (one value per line;
# the fields of `status --json`: role, state, epoch, pid, host, grpc, resp, http, ...).
node_fields() {
  local dir="$1"; shift
  local args=()
  for f in "$@"; do args+=(--field "$f"); done
  "$java_cmd" -jar "$jar" status --data-dir "$dir" "${args[@]}" 2>/dev/null
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

# ensure_coordinator: when the settings name a loopback coordinator that does not answer, start it
# (bin/start_coordinator); an "off" or production connect string is left alone.
ensure_coordinator() {
  local rc=0
  coordinator_plan || rc=$?
  [ "$rc" -eq 0 ] || return 0
  coordinator_serving "$coord_host" "$coord_port" && return 0
  "$root/bin/start_coordinator" ${settings_args[@]+"${settings_args[@]}"}
}
