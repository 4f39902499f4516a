import { readiness } from "@/server/ops/health";

export const dynamic = "force-dynamic";

/** Readiness for load balancers: 200, or 503 with the failing checks and a short reason each (server/ops/health.ts). */
export async function GET() {
  const { ready, failing } = await readiness();
  return Response.json({ ok: ready, failing }, { status: ready ? 200 : 503, headers: { "cache-control": "no-store" } });
}
