import { metricsAccess } from "@/server/ops/metrics-access";
import { scrape } from "@/server/ops/metrics";

export const dynamic = "force-dynamic";

/** Prometheus text of the web process (README, Health and metrics): a Bearer token, or 404 when none is configured. */
export async function GET(req: Request) {
  const access = metricsAccess(req.headers.get("authorization"));
  if (access === "disabled") return new Response("Not found", { status: 404 });
  if (access === "refused") return new Response("Unauthorized", { status: 401, headers: { "www-authenticate": 'Bearer realm="metrics"' } });
  const { contentType, body } = await scrape();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
