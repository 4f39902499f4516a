import { config } from "zod/v4/core";

// Runs in the browser before hydration, so before any schema is built. Zod probes whether it may
// compile parsers with `new Function` the first time an object schema is built; under Interim's
// CSP (no 'unsafe-eval', server/http/security-headers.ts) the probe fails safely but every page
// reports a violation. Zod's plain parser is the one the policy allows: use it from the start.
// `config` from zod's core (shared by zod and zod/mini), not `z` from "zod": that import put all
// of zod (~30 KB gzipped) into every page's first scripts, pages without a single schema included.
config({ jitless: true });
