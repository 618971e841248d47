#!/usr/bin/env bash
# PostgreSQL (Debian package) on 127.0.0.1 for tests: user/password popsink, database popsink.
# Usage: postgres.sh start|stop|url
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
service_init postgres
# SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client to disconnect.
STOP_SIGNAL=INT

PORT="${POPSINK_PG_PORT:-54329}"
URL="postgres://popsink:popsink@127.0.0.1:$PORT/popsink"

# postgres refuses to run as root, so as root we run it as the `postgres` user.
# That user cannot traverse /root (mode 700), so its files live under /var/tmp;
# $RUN_DIR/data is a symlink to them. Non-root users keep everything in $RUN_DIR.
if ((EUID == 0)); then
  PG_HOME=/var/tmp/popsink/postgres
  AS_PG=(setpriv --reuid=postgres --regid=postgres --init-groups --)
else
  PG_HOME="$RUN_DIR/pg"
  AS_PG=()
fi

find_bin() {
  local d
  for d in ${POPSINK_PG_BIN:-} $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -Vr); do
    [[ -x $d/initdb && -x $d/postgres ]] && { echo "$d"; return 0; }
  done
  return 1
}

install() {
  PG_BIN=$(find_bin) || {
    command -v apt-get >/dev/null || die "PostgreSQL not found and apt-get unavailable (set POPSINK_PG_BIN)"
    log "installing the postgresql Debian package"
    apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; }
    PG_BIN=$(find_bin) || die "postgresql installed but no initdb found under /usr/lib/postgresql"
  }
  mkdir -p "$PG_HOME"
  ((EUID == 0)) && chown postgres: "$PG_HOME"
  # A pristine cluster is initdb'd once per server version and copied at each start (~1s saved).
  TEMPLATE="$PG_HOME/template-$("$PG_BIN/postgres" --version | awk '{print $3}')"
  [[ -f $TEMPLATE/PG_VERSION ]] && return 0
  log "initdb $TEMPLATE"
  rm -rf "$TEMPLATE" "$PG_HOME/pwfile"
  echo popsink | "${AS_PG[@]}" tee "$PG_HOME/pwfile" >/dev/null
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$TEMPLATE" -U popsink --pwfile="$PG_HOME/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C --no-sync >/dev/null
  rm -f "$PG_HOME/pwfile"
}

pg_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -d postgres; }

start() {
  if is_running "$PORT"; then echo "$URL"; return; fi
  stop_service
  install
  # Fresh cluster each start: tests expect an empty database.
  rm -rf "$PG_HOME/data" "$RUN_DIR/data"
  "${AS_PG[@]}" cp -a "$TEMPLATE" "$PG_HOME/data"
  ln -s "$PG_HOME/data" "$RUN_DIR/data"
  log "starting PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"
  # No Unix socket (its default dir may not exist or be writable); durability is
  # pointless for throwaway test data, so skip fsync for speed.
  start_bg "${AS_PG[@]}" "$PG_BIN/postgres" -D "$PG_HOME/data" -c listen_addresses=127.0.0.1 -c port="$PORT" \
    -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off
  wait_until 60 "PostgreSQL to accept connections on $PORT" pg_ready
  PGPASSWORD=popsink "$PG_BIN/psql" -q -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U popsink -d postgres \
    -c 'CREATE DATABASE popsink' >&2 || fail_start "cannot create database popsink"
  echo "$URL"
}

case "${1:-}" in
  start) start ;;
  stop) stop_service ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
