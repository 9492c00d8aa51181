#!/usr/bin/env bash
# Starts a throw-away Keystone (Debian's `keystone` package: sqlite, fernet tokens, uwsgi) on a
# free loopback port, for the Keystone tests and for trying Glint by hand.
#
#   test/support/keystone/start.sh [DIR]   # DIR defaults to a new temp dir
#   test/support/keystone/stop.sh DIR      # stops it (and removes DIR with --purge)
#
# Idempotent: when DIR already holds a running Keystone, it is reused. On success the last lines
# of stdout are shell assignments (also written to DIR/env):
#   KEYSTONE_DIR=… KEYSTONE_URL=http://127.0.0.1:PORT/v3 KEYSTONE_ADMIN_PASSWORD=…
# Environment: KEYSTONE_TOKEN_EXPIRATION (seconds, default 3600).
set -euo pipefail

dir="${1:-}"
if [[ -z "$dir" ]]; then dir="$(mktemp -d "${TMPDIR:-/tmp}/glint-keystone-XXXXXX")"; fi
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

for tool in keystone-manage uwsgi python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "start.sh: $tool is missing; install the Debian packages keystone uwsgi uwsgi-plugin-python3" >&2
    exit 2
  fi
done

answering() { python3 - "$1" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

if [[ -f "$dir/env" && -f "$dir/uwsgi.pid" ]] && kill -0 "$(cat "$dir/uwsgi.pid")" 2>/dev/null; then
  # shellcheck disable=SC1091
  source "$dir/env"
  if answering "$KEYSTONE_URL"; then
    cat "$dir/env"
    exit 0
  fi
fi

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:${port}/v3"
# A leading '-' would make keystone-manage read the password as an option (one token in 64 has it).
password="${KEYSTONE_ADMIN_PASSWORD:-$(python3 -c "import secrets; print('pw' + secrets.token_urlsafe(18))")}"
expiration="${KEYSTONE_TOKEN_EXPIRATION:-3600}"

# Runs one setup step with its output in setup.log; on failure says which step failed and shows
# the end of the log, since nothing else would tell why.
step() {
  if ! "$@" >>"$dir/setup.log" 2>&1; then
    echo "start.sh: step failed: $*" >&2
    tail -n 40 "$dir/setup.log" >&2
    return 1
  fi
}

bootstrap() {
  local manage=(keystone-manage --config-file "$dir/keystone.conf")
  local user group
  user="$(id -un)"
  group="$(id -gn)"
  step "${manage[@]}" db_sync || return 1
  # WAL: a reader left in a transaction must not make the next write fail with "database is locked".
  step python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("PRAGMA journal_mode=WAL")' "$dir/keystone.db" || return 1
  step "${manage[@]}" fernet_setup --keystone-user "$user" --keystone-group "$group" || return 1
  step "${manage[@]}" credential_setup --keystone-user "$user" --keystone-group "$group" || return 1
  step "${manage[@]}" bootstrap --bootstrap-password="$password" --bootstrap-admin-url "$url" \
    --bootstrap-public-url "$url" --bootstrap-internal-url "$url" \
    --bootstrap-region-id RegionOne || return 1
  printf '%s\n' "$password" >"$dir/admin-password"
  chmod 600 "$dir/admin-password"
}

if [[ ! -f "$dir/bootstrapped" ]]; then
  cat >"$dir/keystone.conf" <<CONF
[DEFAULT]
log_file = $dir/keystone.log
[database]
connection = sqlite:///$dir/keystone.db
[fernet_tokens]
key_repository = $dir/fernet-keys
[fernet_receipts]
key_repository = $dir/fernet-keys
[credential]
key_repository = $dir/credential-keys
[token]
expiration = $expiration
# An in-process cache: without it every validation re-reads roles and policy (seconds on 2 busy
# cores); one uwsgi process keeps it coherent, and Keystone invalidates it on revocation.
[cache]
enabled = true
backend = dogpile.cache.memory
[oslo_policy]
policy_dirs = $dir/policy.d
CONF
  mkdir -p "$dir/policy.d"
  # Two test files may start a Keystone at once: one bootstrap at a time keeps each inside its
  # time on two cores, and a step that still fails is retried once on a clean database.
  exec 9>"${TMPDIR:-/tmp}/glint-keystone-bootstrap.lock"
  flock 9
  if ! bootstrap && ! { rm -rf "$dir/keystone.db"* "$dir/fernet-keys" "$dir/credential-keys"; bootstrap; }; then
    exit 1
  fi
  exec 9>&-
  touch "$dir/bootstrapped"
else
  password="$(cat "$dir/admin-password")"
  # The endpoints in the catalog name the port chosen at bootstrap; a restart keeps it when free.
  if [[ -f "$dir/port" ]]; then
    port="$(cat "$dir/port")"
    url="http://127.0.0.1:${port}/v3"
  fi
fi
echo "$port" >"$dir/port"

# uwsgi's http-socket closes every connection after its answer: say so, or clients that pool
# connections reuse a closed one (ECONNRESET).
# One process, one thread: sqlite allows one writer, and the tests need no more; light on 2 cores.
uwsgi --plugin python3 --http-socket "127.0.0.1:${port}" --wsgi-file /usr/bin/keystone-wsgi-public \
  --master --processes 1 --threads 1 --die-on-term --need-app --lazy-apps \
  --env "OS_KEYSTONE_CONFIG_FILES=$dir/keystone.conf" --add-header 'Connection: close' \
  --pidfile "$dir/uwsgi.pid" --daemonize "$dir/uwsgi.log" >>"$dir/setup.log" 2>&1 || {
  echo "start.sh: uwsgi did not start; last lines of $dir/setup.log and $dir/uwsgi.log:" >&2
  tail -n 20 "$dir/setup.log" "$dir/uwsgi.log" >&2 2>/dev/null
  exit 1
}

for _ in $(seq 1 120); do
  if answering "$url"; then
    {
      echo "KEYSTONE_DIR=$dir"
      echo "KEYSTONE_URL=$url"
      echo "KEYSTONE_ADMIN_PASSWORD=$password"
    } >"$dir/env"
    chmod 600 "$dir/env"
    cat "$dir/env"
    exit 0
  fi
  sleep 0.5
done
echo "start.sh: Keystone did not answer on $url; see $dir/uwsgi.log and $dir/keystone.log" >&2
exit 1
