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

if [[ -z "${POPSINK_MONGO_URL:-}" ]]; then
  POPSINK_MONGO_URL=$(bash scripts/services/ferretdb.sh start)
  export POPSINK_MONGO_URL
  started+=(ferretdb)
fi

npx tsc --noEmit
npx ava "$@"
