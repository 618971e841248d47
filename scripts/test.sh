#!/usr/bin/env bash
# README's test command: installs what is missing, starts the servers the suites need unless
# their URL is given, type-checks, runs every test, and stops what it started.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[[ -d node_modules ]] || npm ci --no-audit --no-fund

started=()
cleanup() {
  for service in "${started[@]}"; do bash "scripts/services/$service.sh" stop || true; done
}
trap cleanup EXIT

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

npx tsc --noEmit
npx tsc --noEmit -p web
npm run lint
npx ava "$@"
# The outage suites stop and start the servers: after the main suite, and only for a full run.
if (($# == 0)); then npx ava --config ava.outage.config.js; fi
# The fuzz lane (schemathesis against the OpenAPI document, about 3 minutes), on a full run too.
if (($# == 0)); then bash scripts/fuzz.sh; fi
