#!/usr/bin/env bash
# `npm run dev`: everything a fresh machine needs, then the app (web + worker + Postgres + local AD).
set -euo pipefail
cd "$(dirname "$0")/.."
# A privileged-access tool makes no outbound calls nobody asked for.
export NEXT_TELEMETRY_DISABLED=1
bash scripts/preflight.sh dev
bash scripts/system-deps.sh samba
if [ ! -d node_modules/.bin ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Not `npm ci`: see scripts/test.sh.
  npm install --no-audit --no-fund
fi
if [ -z "${LDAP_URL:-}" ]; then bash scripts/ad-up.sh; fi
exec npx tsx --import ./scripts/lib/server-only.mjs scripts/dev.ts
