#!/usr/bin/env bash
# `npm test`: everything, from a fresh machine — a preflight of the machine, system packages, npm
# packages, the local AD, lint + typecheck, unit + system + integration tests (vitest), the
# replication tests twice (a second DC joins the domain for them; once with 127.0.0.2 missing from
# lo, once with it present), a production build, the fault tests, and the e2e suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# A privileged-access tool makes no outbound calls nobody asked for.
export NEXT_TELEMETRY_DISABLED=1
start=$(date +%s)
step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

step "preflight"
bash scripts/preflight.sh test

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

step "lint (ESLint: layers, cycles, file size; Prettier) + typecheck"
npm run lint
npx tsc --noEmit

step "unit + system + integration tests"
npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project unit --project system --project integration

# The replication tests, twice, so both cases of scripts/ad-dc2.sh run on every machine whatever
# its kernel does with 127/8: DC2 needs 127.0.0.2 on lo, and the script must add it when missing
# (and remove it after) and leave it alone when it was there. lo is put back as it was found.
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
# shellcheck source=lib/loopback.sh
. scripts/lib/loopback.sh
DC2_IP=127.0.0.2
# Someone's own 127.0.0.2 (its prefix length) is written down before it is taken off, so a run
# killed before it could put it back has the next run put it back.
ORIGINAL_DC2_IP=.data/samba/lo-127.0.0.2-before-tests
if [ -s "$ORIGINAL_DC2_IP" ]; then
  bash scripts/ad-dc2.sh down >/dev/null
  lo_remove "$DC2_IP"
  "${SUDO[@]}" ip addr add "$DC2_IP/$(cat "$ORIGINAL_DC2_IP")" dev lo
  rm -f -- "$ORIGINAL_DC2_IP"
fi
bash scripts/ad-dc2.sh down >/dev/null # a DC2 left by an interrupted run (and an address it added)
dc2_ip_found="$(lo_prefix "$DC2_IP")" # its prefix length when someone had put it there
[ -z "$dc2_ip_found" ] || echo "$dc2_ip_found" >"$ORIGINAL_DC2_IP"
restore_lo() {
  bash scripts/ad-dc2.sh down >/dev/null 2>&1 || true
  lo_remove "$DC2_IP" || true
  rm -f -- .data/samba/dc2-lo-address
  [ -z "$dc2_ip_found" ] || "${SUDO[@]}" ip addr add "$DC2_IP/$dc2_ip_found" dev lo
  rm -f -- "$ORIGINAL_DC2_IP"
}
trap restore_lo EXIT
replication() {
  DC2_LOOPBACK_EXPECT="$1" npx tsx scripts/with-stack.ts --cluster test --db interim_test --fresh -- npx vitest run --project replication
}

step "replication tests, 127.0.0.2 missing from lo (ad-dc2.sh must add it, then remove it)"
lo_remove "$DC2_IP"
replication added
if lo_has "$DC2_IP"; then
  echo "test: scripts/ad-dc2.sh down left $DC2_IP on lo although it had added it" >&2
  exit 1
fi

step "replication tests, 127.0.0.2 already on lo (ad-dc2.sh must use it and leave it)"
"${SUDO[@]}" ip addr add "$DC2_IP/8" dev lo
replication present
if ! lo_has "$DC2_IP"; then
  echo "test: scripts/ad-dc2.sh down removed $DC2_IP from lo although it was there before" >&2
  exit 1
fi
restore_lo
trap - EXIT

step "production build (with only loopback, and Next.js's telemetry host caught: it must not be reached)"
# Without this script's export: `npm run build` must turn telemetry off by itself; and with a
# fresh per-user Next config, so a developer's own `next telemetry disable` cannot hide a regression.
# Before the fault tests: the multi-node and Postgres-restart tests serve this build.
XDG_CONFIG_HOME="$(mktemp -d)" bash scripts/no-egress.sh -- env -u NEXT_TELEMETRY_DISABLED npm run build

step "fault tests (1,000 grants with the worker SIGKILLed and the DC restarted; 2 web + 3 workers on one database; Postgres restarted)"
npx tsx scripts/with-stack.ts --cluster test --db interim_fault --fresh -- npx vitest run --project fault

step "end-to-end tests (Chromium)"
npx tsx scripts/with-stack.ts --cluster test --db interim_e2e --fresh -- npx playwright test

step "all tests passed"
