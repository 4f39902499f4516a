/**
 * Loaded with `node --import ./scripts/lib/server-only.mjs` (or `tsx --import …`) by every Node
 * process that runs server code outside Next: the worker, the web entry (server/http/serve.ts),
 * scripts, bench, Playwright's global setup and fixtures. `import "server-only"` keeps db/, env and
 * the logger out of browser bundles; outside Next's react-server layer it would throw, so here that
 * one package resolves with the react-server condition (its empty module). Nothing else changes:
 * a process-wide `--conditions=react-server` would also switch react and react-dom, which Next
 * loads in the web process.
 */
import { register } from "node:module";

register("./server-only-hooks.mjs", import.meta.url);
