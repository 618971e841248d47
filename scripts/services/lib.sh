# shellcheck shell=bash
# Shared helpers for scripts/services/<name>.sh. Sourced, never executed.
# Convention: stdout carries only the connection URL; all chatter goes to stderr.

POPSINK_CACHE="${POPSINK_CACHE:-$HOME/.cache/popsink}"
# shellcheck disable=SC2034 # used by the sourcing scripts
SERVICES_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

log() { printf '[%s] %s\n' "${SERVICE:-services}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# service_init NAME: per-service runtime paths, plus a lock so parallel
# `start`/`stop` calls (e.g. from several test workers) do not race.
# Scripts may set STOP_SIGNAL / STOP_TIMEOUT (seconds) for their server.
service_init() {
  SERVICE=$1
  STOP_SIGNAL=TERM STOP_TIMEOUT=30
  CACHE_DIR="$POPSINK_CACHE/$SERVICE"
  RUN_DIR="$POPSINK_CACHE/run/$SERVICE"
  PID_FILE="$RUN_DIR/pid"
  LOG_FILE="$RUN_DIR/server.log"
  mkdir -p "$CACHE_DIR" "$RUN_DIR"
  exec 9>"$RUN_DIR/lock"
  flock 9
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -s $PID_FILE ]] && kill -0 "$(<"$PID_FILE")" 2>/dev/null; }

# is_running PORT: our recorded process is alive and the port answers.
# A port held by something else is an error, not "running".
is_running() {
  if pid_alive; then
    port_open "$1" && return 0
    return 1
  fi
  rm -f "$PID_FILE"
  if port_open "$1"; then
    die "127.0.0.1:$1 is in use by a process this script did not start"
  fi
  return 1
}

# start_bg CMD...: run detached (own session, so a Ctrl-C in the caller's
# terminal does not kill it) with output in the log. fd 9 (the lock) and the
# caller's stdout must not leak into the server, or `$(x.sh start)` would hang.
start_bg() {
  : >"$LOG_FILE"
  setsid "$@" </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  echo $! >"$PID_FILE"
}

# fail_start MSG: show why, kill the half-started server, exit non-zero.
fail_start() {
  log "ERROR: $*"
  log "last lines of $LOG_FILE:"
  tail -n 40 "$LOG_FILE" >&2 || true
  stop_service
  exit 1
}

# wait_until TIMEOUT_S DESCRIPTION CMD...: poll CMD; give up early if the server died.
wait_until() {
  local timeout=$1 what=$2 i
  shift 2
  for ((i = 0; i < timeout * 5; i++)); do
    "$@" && return 0
    pid_alive || fail_start "server exited while waiting for $what"
    sleep 0.2
  done
  fail_start "timed out after ${timeout}s waiting for $what"
}

# stop_service: graceful STOP_SIGNAL, then SIGKILL after STOP_TIMEOUT seconds.
stop_service() {
  local sig=$STOP_SIGNAL timeout=$STOP_TIMEOUT pid i
  if pid_alive; then
    pid=$(<"$PID_FILE")
    log "stopping pid $pid (SIG$sig)"
    kill -"$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 5; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "still alive after ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$PID_FILE"
}

# hash_files FILE...: short content hash, used to key cached builds.
hash_files() { cat "$@" | sha256sum | cut -c1-16; }
