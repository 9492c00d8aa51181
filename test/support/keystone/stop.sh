#!/usr/bin/env bash
# Stops the Keystone that start.sh started in DIR; with --purge also removes DIR.
#   test/support/keystone/stop.sh DIR [--purge]
set -euo pipefail

dir="${1:?usage: stop.sh DIR [--purge]}"
pidfile="$dir/uwsgi.pid"
if [[ -f "$pidfile" ]]; then
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    # uwsgi's master stops its workers on SIGTERM (--die-on-term).
    kill -TERM "$pid"
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  fi
  rm -f "$pidfile"
fi
if [[ "${2:-}" == "--purge" ]]; then rm -rf "$dir"; fi
