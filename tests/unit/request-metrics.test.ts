import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { routeLabel, timeRequest } from "@/server/http/request-metrics";
import { metrics } from "@/server/ops/metrics";

/* The HTTP histogram's route label: a pattern, never a value someone typed (bounded cardinality). */

describe("routeLabel", () => {
  it("names tRPC calls by their procedures and pages by their path with values replaced", () => {
    expect(routeLabel("/api/trpc/requests.access,requests.mine?batch=1&input=%7B%7D", 200)).toBe("/api/trpc/requests.access,requests.mine");
    expect(routeLabel("/admin/privileges/0b7c9f1e-4f7a-4b43-9d8e-0c6f3f1f2a10", 200)).toBe("/admin/privileges/:id");
    expect(routeLabel("/admin/audit/12345?page=2", 200)).toBe("/admin/audit/:id");
    expect(routeLabel("/_next/static/chunks/app-abc123.js", 200)).toBe("/_next/static");
    expect(routeLabel("/api/auth/callback/credentials", 302)).toBe("/api/auth/callback");
    expect(routeLabel("/roles/", 200)).toBe("/roles");
  });

  it("never keeps what an attacker invents: unknown paths, procedures and odd segments", () => {
    expect(routeLabel("/wp-login.php", 404)).toBe("unmatched");
    expect(routeLabel("/api/trpc/made.up%20name", 200)).toBe("/api/trpc/(other)");
    expect(routeLabel("/api/trpc/requests.access,nope.nothing", 207)).toBe("/api/trpc/(other)");
    expect(routeLabel("/admin/<script>", 307)).toBe("/admin/:id");
    expect(routeLabel(`/admin/${"x".repeat(40)}`, 307)).toBe("/admin/:id");
  });

  it("caps the number of distinct labels", () => {
    const labels = new Set(
      Array.from({ length: 400 }, (_, i) => routeLabel(`/admin/word${String.fromCharCode(97 + (i % 26))}${"q".repeat(i % 20)}x${i}`, 307)),
    );
    expect(labels.has("other")).toBe(true);
    expect(labels.size).toBeLessThanOrEqual(301);
  });
});

describe("timeRequest", () => {
  it("observes each request once, by route, method and status class", async () => {
    const server = createServer((req, res) => {
      timeRequest(req, res);
      res.writeHead(req.url?.startsWith("/roles") ? 200 : 404).end("ok");
    });
    await new Promise<void>((resolve) => server.listen(3222, "127.0.0.1", resolve));
    const count = async (route: string, status: string) => {
      const { values } = await metrics().httpDuration.get();
      return (
        values.find(
          (v) =>
            (v as { metricName?: string }).metricName === "interim_http_request_duration_seconds_count" &&
            v.labels.route === route &&
            v.labels.status === status,
        )?.value ?? 0
      );
    };
    try {
      await fetch("http://127.0.0.1:3222/roles?x=1");
      await fetch("http://127.0.0.1:3222/roles");
      await fetch("http://127.0.0.1:3222/whatever/else");
      expect(await count("/roles", "2xx")).toBe(2);
      expect(await count("unmatched", "4xx")).toBe(1);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
