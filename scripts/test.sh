#!/usr/bin/env bash
# README's test command: installs what is missing, starts the servers the suites need unless
# their URL is given, type-checks, runs every test, and stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund

started=()
summary=()
# The lanes' counts are printed last, after the servers stop: CI reads the end of the output.
cleanup() {
  local status=$?
  for service in "${started[@]}"; do bash "scripts/services/$service.sh" stop || true; done
  echo
  echo "── popsink test summary ──"
  printf '%s\n' "${summary[@]}"
  ((status == 0)) && echo "all lanes passed" || echo "FAILED (exit $status)"
}
trap cleanup EXIT

# lane NAME COMMAND...: runs one lane, its output shown and kept in test-output/NAME.log, and adds
# its counts (ava's closing lines, the fuzz lane's own line) to the summary.
lane() {
  local name=$1 status=0 counts
  shift
  "$@" 2>&1 | tee "test-output/$name.log" || status=$?
  counts=$(sed 's/\x1b\[[0-9;]*m//g' "test-output/$name.log" |
    grep -E '^ *([✔✘] )?[0-9]+ (tests?|known failures?|uncaught exceptions?|unhandled rejections?|tests? remained pending) |^fuzz lane:' |
    sed 's/^ *//' | paste -sd ';' - || true)
  summary+=("$name: ${counts:-done}$( ((status == 0)) || echo " — exit $status")")
  return "$status"
}
mkdir -p test-output

# use_service VAR SERVICE [URL-COMMAND]: VAR keeps its value when given, else SERVICE is started here.
use_service() {
  local var=$1 service=$2 command=${3:-start}
  [[ -n "${!var:-}" ]] && return
  [[ " ${started[*]} " == *" $service "* ]] || started+=("$service")
  bash "scripts/services/$service.sh" start >/dev/null
  printf -v "$var" '%s' "$(bash "scripts/services/$service.sh" "$command")"
  export "${var?}"
}

use_service POPSINK_MONGO_URL ferretdb
use_service TEST_KAFKA_BROKERS kafka
use_service TEST_KAFKA_SASL_BROKERS kafka sasl-url
use_service TEST_KAFKA_SSL_BROKERS kafka ssl-url
use_service TEST_KAFKA_SASL_SSL_BROKERS kafka sasl-ssl-url
use_service TEST_KAFKA_CA_CERT kafka ca-cert-path
use_service TEST_PG_URL postgres

# The contract's Python example script is run by a test: it needs `requests`.
python3 -c 'import requests' 2>/dev/null || python3 -m pip install --quiet requests
# The web console's browser test drives Debian's Chromium (playwright-core downloads no browser).
[[ -x /usr/bin/chromium ]] || { apt-get update && apt-get install -y chromium; }

lane typecheck npx tsc --noEmit
lane typecheck-console npx tsc --noEmit -p web
lane lint npm run lint
lane main npx ava "$@"
# The outage suites stop and start the servers: after the main suite, and only for a full run.
if (($# == 0)); then lane outage npx ava --config ava.outage.config.js; fi
# The fuzz lane (schemathesis against the OpenAPI document, about 3 minutes), on a full run too.
if (($# == 0)); then lane fuzz bash scripts/fuzz.sh; fi
