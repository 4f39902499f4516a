#!/usr/bin/env bash
# `npm run bench`: measures Interim against the local Samba AD DC (see bench/run.ts).
#   BENCH_EXPIRY_GRANTS  [1000]  grants that expire together in the expiry-lag phase (M)
#   BENCH_GROUPS         [10]    bench groups the grants are spread over (K)
#   BENCH_LATENCY_GRANTS [200]   sequential grants timed end to end
#   BENCH_RAW_SAMPLES    [200]   raw single add/remove pairs
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh samba
if [ ! -d node_modules/.bin ]; then npm ci; fi
bash scripts/ad-up.sh
exec npx tsx scripts/with-stack.ts --db interim_bench --fresh -- npx tsx bench/run.ts
