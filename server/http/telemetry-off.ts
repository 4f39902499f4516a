import "server-only";
/**
 * Next.js records usage events and sends them to telemetry.nextjs.org unless told not to. A
 * privileged-access tool makes no outbound call nobody asked for: the web process turns it off for
 * itself, however it was started (the project's scripts also export NEXT_TELEMETRY_DISABLED=1).
 * Imported first by server/http/serve.ts, before Next is loaded.
 */
process.env.NEXT_TELEMETRY_DISABLED = "1";
