#!/usr/bin/env bash
# `npm test`: everything, from a fresh machine — system packages, npm packages, the local AD,
# lint + typecheck, unit + integration tests (vitest), replication tests (vitest, with a second DC),
# the fault test, a production build, and the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

step "system packages"
bash scripts/system-deps.sh
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm install"
  # Not `npm ci`: with this registry npm 11 writes a lock without other platforms' optional
  # packages and then refuses `npm ci` on it; `npm install` honours the lock all the same.
  npm install --no-audit --no-fund
fi
step "local Active Directory"
bash scripts/ad-up.sh

step "lint + typecheck"
npx eslint .
npx tsc --noEmit

step "unit + integration tests"
npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project unit --project integration

step "replication tests (a second DC joins the domain for them)"
# The tests' global setup joins DC2 and removes it again; should vitest die first, remove it here.
trap 'bash scripts/ad-dc2.sh down >/dev/null 2>&1 || true' EXIT
npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project replication
trap - EXIT

step "fault test (1,000 grants; worker SIGKILLed, DC restarted)"
npx tsx scripts/with-stack.ts --cluster test --db interim_fault --fresh -- npx vitest run --project fault

step "production build"
npx next build

step "end-to-end tests (Chromium)"
npx tsx scripts/with-stack.ts --cluster test --db interim_e2e --fresh -- npx playwright test

step "all tests passed"
