# Sourced by the benchmarks that measure the cost of TLS and auth (bench-grpc.sh --tls/--auth,
# bench-redis.sh --tls/--auth): development certificates and a throw-away user for a secured node
# started beside a plain one. Needs $server_jar (bench-nodes.sh).

# make_bench_secrets DIR: writes DIR/certs/ (pbkv-server.jar certs: ca.pem, primary.pem,
# primary-key.pem, client.pem, ...), DIR/bench.password (a random password, mode 0600) and
# DIR/users.json, the auth.users block of a user "bench" with write access and that password's
# hash (pbkv-server.jar passwd, which reads the password from standard input).
make_bench_secrets() {
  local dir="$1" hash
  mkdir -p "$dir"
  java -jar "$server_jar" certs "$dir/certs" >/dev/null || return 1
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/bench.password")
  hash="$(java -jar "$server_jar" passwd < "$dir/bench.password")" || return 1
  printf '{"bench": {"access": "write", "password-hash": "%s"}}\n' "$hash" > "$dir/users.json"
}

# with_bench_user IN OUT DIR: OUT is the settings file IN (JSON; "-" for none) with auth.users
# set to DIR/users.json's bench user. TLS goes on the node's launch (launcher --tls-ca ...).
with_bench_user() {
  local in="$1" out="$2" dir="$3"
  if [ "$in" = "-" ]; then echo '{}' > "$out.in"; in="$out.in"; fi
  jq --slurpfile users "$dir/users.json" '.auth.users = $users[0]' "$in" > "$out"
}

# bench_tls_flags DIR: sets the array bench_tls=(the launcher's flags for a node serving TLS with
# DIR/certs' primary certificate).
bench_tls_flags() {
  bench_tls=(--tls-ca "$1/certs/ca.pem" --tls-cert "$1/certs/primary.pem" --tls-key "$1/certs/primary-key.pem")
}

# ratio ON OFF: ON/OFF with two decimals, or "-".
bench_ratio() {
  awk -v n="$1" -v d="$2" 'BEGIN { if (d > 0 && n != "") printf "%.2f", n / d; else printf "-" }'
}
