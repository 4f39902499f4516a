export const dynamic = "force-dynamic";

/** Liveness: the process answers. No dependency is asked (a dead database must not get the web restarted). */
export function GET() {
  return Response.json({ ok: true }, { headers: { "cache-control": "no-store" } });
}
