#!/usr/bin/env bash
# FerretDB 1.24 (MongoDB wire protocol, SQLite backend) on 127.0.0.1 for tests.
# Usage: ferretdb.sh start|stop|url
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
service_init ferretdb

PORT="${POPSINK_FERRETDB_PORT:-27018}"
URL="mongodb://127.0.0.1:$PORT/"
SRC="$SERVICES_DIR/ferretdb"
# Keyed by source hash so editing main.go/go.mod/go.sum triggers exactly one rebuild.
BIN="$CACHE_DIR/bin/ferretdb-$(hash_files "$SRC/main.go" "$SRC/go.mod" "$SRC/go.sum")"

install() {
  [[ -x $BIN ]] && return 0
  command -v go >/dev/null || die "go not found on PATH"
  log "building $BIN (first run downloads Go modules, may take minutes)"
  mkdir -p "$(dirname "$BIN")"
  # -buildvcs=false: the wrapper lives in the project's git tree, whose state must not matter.
  (cd "$SRC" && CGO_ENABLED=0 go build -buildvcs=false -trimpath -o "$BIN.tmp" .) >&2
  mv "$BIN.tmp" "$BIN"
}

start() {
  if is_running "$PORT"; then echo "$URL"; return; fi
  stop_service
  install
  # Fresh data each start: tests expect an empty server.
  rm -rf "$RUN_DIR/data" && mkdir -p "$RUN_DIR/data"
  log "starting on 127.0.0.1:$PORT"
  start_bg "$BIN" -listen "127.0.0.1:$PORT" -data "$RUN_DIR/data"
  wait_until 30 "port $PORT" port_open "$PORT"
  echo "$URL"
}

case "${1:-}" in
  start) start ;;
  stop) stop_service ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
