#!/usr/bin/env bash
# `npm run bench`: measures Interim against the local Samba AD DC (see bench/run.ts).
#   BENCH_EXPIRY_GRANTS  [1000]  grants that expire together in the expiry-lag phase (M)
#   BENCH_BULK_GRANTS    [10000] grants due at one instant in the bulk phase (N; seeded active, not
#                                activated one by one); 0 skips that phase and its raw twin
#   BENCH_GROUPS         [10]    bench groups the grants are spread over (K; the bulk phase has K of its own)
#   BENCH_LATENCY_GRANTS [200]   sequential grants timed end to end
#   BENCH_RAW_SAMPLES    [200]   raw single add/remove pairs
#   BENCH_EXPIRY_LEAD_SECONDS [5, M/1000 above 5000]  how far ahead the common expiry T is set
#   BENCH_BULK_LEAD_SECONDS   [5, N/1000 above 5000]  the same for the bulk phase
#   BENCH_REUSE_GROUPS   [0]     1 = keep the bench groups instead of recreating them (removed
#                                members linger on a group as deactivated links and slow it down)
#   BENCH_SESSION_STARTS [20]    recorded sessions started one after another (approved → shell prompt)
#   BENCH_ECHO_SAMPLES   [300]   keystrokes echoed through the gateway, and as many direct
#   BENCH_CONCURRENT_SESSIONS [50] recorded sessions streaming at once (managed accounts bench-sess-NN,
#                                created once in OU=Privileged Accounts); 0 skips the sessions phase
#   BENCH_SESSION_OUTPUT_BYTES [2000000] output bytes each concurrent session prints
#   BENCH_ONLY=sessions          only the sessions phase (needs the SSH target, scripts/ssh-target.sh)
#   BENCH_WORKERS        [1, then 3] worker processes side by side in the expiry-lag phase; unset,
#                                the phase runs with 1 and then 3 and the report shows both
#   BENCH_ONLY=expiry            setup, warm-up and the expiry-lag phase only
#   BENCH_ONLY=siem              the SIEM export rate to a local rsyslog next to the audit insert rate
#                                (bench/siem.ts; BENCH_SIEM_EVENTS [20000]); in the full run after scale
#   BENCH_ONLY=audit-export      the audit trail's CSV export of BENCH_AUDIT_ROWS [1000000] seeded rows over
#                                HTTP next to COPY (bench/audit-export.ts); in the full run last
#   BENCH_ONLY=scale             the roles page at scale only (bench/scale.ts); without BENCH_ONLY it
#                                runs after the other phases, in a fresh database of its own
#                                (interim_bench_scale), so their rows do not change its workload
# Prints a table, writes bench/results/<timestamp>.json, exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1
bash scripts/preflight.sh bench
bash scripts/system-deps.sh samba rsyslog
if [ ! -d node_modules/.bin ]; then npm install --no-audit --no-fund; fi
bash scripts/ad-up.sh
# --cluster bench: an embedded Postgres of its own (.data/pg-bench), so a dev server or a test run
# stopping its cluster cannot pull the database from under the bench.
bench() { npx tsx scripts/with-stack.ts --db "$1" --cluster bench --fresh -- npx tsx --import ./scripts/lib/server-only.mjs bench/run.ts; }
if [ -n "${BENCH_ONLY:-}" ]; then
  bench interim_bench
  exit
fi
status=0
bench interim_bench || status=$?
BENCH_ONLY=scale bench interim_bench_scale || status=$?
# Issue 16's figures, each in a database of its own: the SIEM export rate next to the audit insert
# rate (bench/siem.ts), and the audit trail's CSV export of 1,000,000 rows next to COPY (bench/audit-export.ts).
BENCH_ONLY=siem bench interim_bench_siem || status=$?
BENCH_ONLY=audit-export bench interim_bench_audit || status=$?
exit "$status"
