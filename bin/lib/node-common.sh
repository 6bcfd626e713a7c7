# Sourced by bin/start_server and bin/stop_server: the repository root, the server jar (built
# when missing), the role from -p|-b, and the node's data directory as the node itself resolves it.
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
