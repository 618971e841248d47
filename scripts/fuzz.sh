#!/usr/bin/env bash
# The fuzz lane: schemathesis (PyPI) against /api/openapi.json of a platform started here on the
# embedded stores, as a superuser and as a team member, over every operation, about 3 minutes in
# all; any finding fails it. Fixtures (scripts/fuzzFixtures.ts) make the path ids exist.
#
# Order, so that no run locks its user out before it is done: each user first fuzzes every
# operation except DELETE and logout, then the DELETEs (its own service-account token, the spare
# user and team membership, and the fixtures, which are recreated in no later run), and logout
# last of all, since it revokes the token the run carries. `DELETE /users/{id}` targets a spare
# user, never the fuzzing one. FUZZ_SECONDS scales the budget (default 180).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# One version: each release brings new generators and heuristics, and a lane that changes with the
# day PyPI is read from is no regression test.
SCHEMATHESIS_VERSION=4.32.5
python3 -c "import sys, schemathesis; sys.exit(schemathesis.__version__ != '$SCHEMATHESIS_VERSION')" 2>/dev/null ||
  python3 -m pip install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
[[ -d node_modules ]] || npm ci --no-audit --no-fund

budget=${FUZZ_SECONDS:-180}
work=$(mktemp -d)
admin_email=fuzz-admin@example.com
admin_password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
server=
cleanup() {
  local status=$?
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# The embedded stores, whatever the calling shell points at (npm test exports POPSINK_MONGO_URL).
env -u POPSINK_MONGO_URL -u POPSINK_EVENTSTORE_URL PORT=0 HOST=127.0.0.1 POPSINK_ROLE=api POPSINK_DATA_DIR="$work/data" \
  POPSINK_ADMIN_EMAIL=$admin_email POPSINK_ADMIN_PASSWORD=$admin_password \
  node --import tsx main.ts >"$work/server.log" 2>&1 &
server=$!
port=
for _ in $(seq 1 300); do
  port=$(grep '"popsink listening"' "$work/server.log" | sed -n 's/.*"port":\([0-9]*\).*/\1/p' | head -1 || true)
  [[ -n "$port" ]] && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
  sleep 0.2
done
[[ -n "$port" ]] || { echo 'the platform did not start' >&2; exit 1; }
base=http://127.0.0.1:$port/api

npx tsx scripts/fuzzFixtures.ts "$base" "$admin_email" "$admin_password" "$work"
# shellcheck disable=SC1091
source "$work/tokens.env"

checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,ignored_auth
# run USER TOKEN SECONDS [filters...]: one schemathesis run, its output in test-output/fuzz/USER-SECONDS.log and
# its findings in the .xml beside it; one line per run here, the whole output when it fails. Every run goes on
# after a failing one, and the lane fails at the end.
failed=0 runs=0 cases=0
run() {
  local user=$1 token=$2 seconds=$3 log status=0 counts
  shift 3
  log=test-output/fuzz/$user-$seconds.log
  # One worker: with two, hypothesis describes strategies (ast.parse of lambda sources) in two
  # threads at once, and CPython 3.11 keeps the AST constructor's recursion depth per interpreter,
  # not per thread, so now and then a run died with "AST constructor recursion depth mismatch".
  schemathesis() {
    st --config-file "$work/$user.toml" run "$base/openapi.json" --checks "$checks" -H "Authorization: Bearer $token" \
      --max-time "$seconds" --workers 1 --request-timeout 15 --seed 13 --no-color \
      --report junit --report-junit-path "test-output/fuzz/$user-$seconds.xml" "$@" >"$log" 2>&1
  }
  schemathesis "$@" || status=$?
  # schemathesis itself crashing (a "Runtime Error" in its generator, no check failed) is not a
  # finding about the API: that run goes once more, and fails the lane if it crashes again.
  if ((status != 0)) && grep -q 'Runtime Error' "$log" && ! grep -q 'FAILURES' "$log"; then
    echo "fuzz run $user ${seconds}s $*: schemathesis crashed (no check failed), run again; first output in $log.crashed"
    mv "$log" "$log.crashed"
    status=0
    schemathesis "$@" || status=$?
  fi
  counts=$(grep -E '^ *[0-9]+ generated' "$log" | tail -1 | sed 's/^ *//')
  runs=$((runs + 1))
  cases=$((cases + $(grep -oE '^[0-9]+' <<<"${counts:-0}")))
  if ((status == 0)); then
    echo "fuzz run $user ${seconds}s $*: ${counts:-no cases}, no finding"
  else
    failed=1
    cat "$log"
    echo "fuzz run $user ${seconds}s $*: FAILED (exit $status), ${counts:-no cases}"
  fi
}
mkdir -p test-output/fuzz
main=$((budget * 35 / 100))
deletes=$((budget * 10 / 100))
last=$((budget * 5 / 100))
run superuser "$SUPERUSER_TOKEN" "$main" --exclude-method DELETE --exclude-path /auth/jwt/logout
run member "$MEMBER_TOKEN" "$main" --exclude-method DELETE --exclude-path /auth/jwt/logout
run member "$MEMBER_TOKEN" "$deletes" --include-method DELETE
run superuser "$SUPERUSER_TOKEN" "$deletes" --include-method DELETE
run member "$MEMBER_TOKEN" "$last" --include-path /auth/jwt/logout
run superuser "$SUPERUSER_TOKEN" "$last" --include-path /auth/jwt/logout
if ((failed)); then echo "fuzz lane: $runs runs, $cases cases, FINDINGS (see above)"; else echo "fuzz lane: $runs runs, $cases cases, no finding"; fi
exit "$failed"
