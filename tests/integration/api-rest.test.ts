import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { and, eq, sql } from "drizzle-orm";
import type { Client } from "ldapts";
import { Attribute, Change } from "ldapts";
import { encode } from "next-auth/jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { apiTokens, auditEvents, requests, users } from "@/db/schema";
import { createApiToken, listApiTokens, revokeApiToken } from "@/server/api/tokens/service";
import { hashTokenSecret } from "@/server/api/tokens/secret";
import { decide } from "@/server/approvals/service";
import { resetAccountStateCache } from "@/server/auth/account-state";
import type { SessionUser } from "@/server/auth/permissions";
import { startSession } from "@/server/auth/sessions";
import { trustedForwardedFor } from "@/server/http/forwarded";
import { handleRest, isRestRequest } from "@/server/http/rest";
import { handleTrpc } from "@/server/http/trpc";
import { API_SCOPES, type ApiScope } from "@/shared/api-scopes";
import { actorFor, adminClient, ensureAdGroup, ensureAdUser, localUser, openAccessGroup, publish, resetDatabase } from "./fixtures";

/*
 * Issue 16 item 3: API tokens and the REST API (/api/v1) as the web process serves them
 * (server/http/rest.ts before Next), over real HTTP on loopback, with Postgres and the real AD.
 */

let server: Server;
let base: string;
let ad: Client;
let carol: SessionUser;
let privilegeId: string;
/** Submitted to by one test only (one live grant per privilege and person). */
let deployPrivilegeId: string;
const ADMIN_SAM = "it-api-admin";
let adminDn: string;
const ADMIN_GROUP = process.env.INTERIM_ADMIN_GROUP_DN!;

const memberChange = (operation: "add" | "delete", dn: string) => new Change({ operation, modification: new Attribute({ type: "member", values: [dn] }) });
const ignoring = (codes: number[]) => (e: { code?: number }) => {
  if (!codes.includes(e.code ?? -1)) throw e;
};

async function tokenFor(user: SessionUser, scopes: readonly ApiScope[], name = `t-${Math.random().toString(36).slice(2, 8)}`) {
  return (await createApiToken(user, actorFor(user), { name, scopes: [...scopes], expiresInDays: 30 })).secret;
}
function call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers };
  if (opts.body !== undefined) headers["content-type"] ??= "application/json";
  return fetch(`${base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
}
async function message(res: Response) {
  return ((await res.json()) as { message: string }).message;
}

beforeAll(async () => {
  delete process.env.NEXTAUTH_URL;
  await resetDatabase();
  ad = await adminClient();
  carol = await localUser("carol", true);
  await ensureAdGroup(ad, "it-api-priv");
  privilegeId = (await publish(carol, "it-api-priv")).id;
  await ensureAdGroup(ad, "it-api-deploy");
  deployPrivilegeId = (await publish(carol, "it-api-deploy")).id;
  await openAccessGroup(carol, [carol]);
  adminDn = await ensureAdUser(ad, ADMIN_SAM);
  await ad.modify(ADMIN_GROUP, memberChange("add", adminDn)).catch(ignoring([68]));
  server = createServer((req, res) => {
    // As server/http/serve.ts does before either handler: the client address comes from the socket.
    req.headers["x-forwarded-for"] = trustedForwardedFor(req.headers["x-forwarded-for"], req.socket.remoteAddress, []);
    void (isRestRequest(req.url) ? handleRest(req, res) : handleTrpc(req, res));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await ad.modify(ADMIN_GROUP, memberChange("delete", adminDn)).catch(ignoring([16, 53]));
  await ensureAdUser(ad, ADMIN_SAM);
  await ad.unbind();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("API tokens", () => {
  it("shows the secret once and keeps only its hash", async () => {
    const created = await createApiToken(carol, actorFor(carol), { name: "ci-once", scopes: ["privileges:read"], expiresInDays: 7 });
    expect(created.secret).toMatch(/^itm_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, created.id));
    expect(row!.secretHash).toBe(hashTokenSecret(created.secret));
    const random = created.secret.slice(37);
    expect(JSON.stringify(row)).not.toContain(random);
    const listed = JSON.stringify(await listApiTokens(carol));
    expect(listed).toContain("ci-once");
    expect(listed).not.toContain(random);
    expect(listed).not.toContain(row!.secretHash);
    const [audit] = await db.select().from(auditEvents).where(eq(auditEvents.action, "api_token.created"));
    expect(JSON.stringify(audit)).not.toContain(random);
    await expect(createApiToken(carol, actorFor(carol), { name: "ci-once", scopes: ["privileges:read"], expiresInDays: 7 })).rejects.toThrow(/exists/);
    await expect(createApiToken(carol, actorFor(carol), { name: "too-long", scopes: ["privileges:read"], expiresInDays: 5000 })).rejects.toThrow(/at most/);
  });

  it("refuses a missing, malformed, unknown, wrong, expired or revoked token with 401", async () => {
    const good = await tokenFor(carol, ["privileges:read"], "ci-401");
    expect((await call("GET", "/api/v1/privileges", { token: good })).status).toBe(200);
    const id = good.slice(4, 36);
    const cases: [string, Record<string, string>, RegExp][] = [
      ["none", {}, /Bearer/],
      ["malformed", { authorization: "Bearer not-a-token" }, /not valid/],
      ["basic", { authorization: `Basic ${good}` }, /Bearer/],
      ["unknown", { authorization: `Bearer itm_${"0".repeat(32)}_${"A".repeat(43)}` }, /not valid/],
      ["wrong secret", { authorization: `Bearer itm_${id}_${"B".repeat(43)}` }, /not valid/],
    ];
    for (const [what, headers, reason] of cases) {
      const res = await call("GET", "/api/v1/privileges", { headers });
      expect(res.status, what).toBe(401);
      expect(await message(res), what).toMatch(reason);
    }
    const expiring = await tokenFor(carol, ["privileges:read"], "ci-expired");
    await db
      .update(apiTokens)
      .set({ createdAt: sql`now() - interval '2 days'`, expiresAt: sql`now() - interval '1 second'` })
      .where(eq(apiTokens.name, "ci-expired"));
    const expired = await call("GET", "/api/v1/privileges", { token: expiring });
    expect(expired.status).toBe(401);
    expect(await message(expired)).toMatch(/expired/);
    const [row] = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.name, "ci-401"));
    await revokeApiToken(carol, actorFor(carol), row!.id);
    const revoked = await call("GET", "/api/v1/privileges", { token: good });
    expect(revoked.status).toBe(401);
    expect(await message(revoked)).toMatch(/revoked/);
    const [audit] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "api_token.revoked"), eq(auditEvents.targetId, row!.id)));
    expect(audit?.actorName).toBe("carol");
  });

  it("refuses every endpoint to a token without its scope (403) and serves it with the scope", async () => {
    const endpoints: [ApiScope, string, string, unknown?][] = [
      ["requests:read", "GET", "/api/v1/requests"],
      ["requests:read", "GET", `/api/v1/requests/${crypto.randomUUID()}`],
      ["requests:write", "POST", "/api/v1/requests", { privilegeId, durationMinutes: 5, justification: "scope check" }],
      ["requests:write", "POST", `/api/v1/requests/${crypto.randomUUID()}/cancel`, {}],
      ["grants:read", "GET", "/api/v1/grants"],
      ["grants:write", "POST", `/api/v1/grants/${crypto.randomUUID()}/end`, {}],
      ["approvals:read", "GET", "/api/v1/approvals/pending"],
      ["privileges:read", "GET", "/api/v1/privileges"],
      ["privileges:read", "GET", `/api/v1/privileges/${privilegeId}`],
      ["access-groups:read", "GET", "/api/v1/access-groups"],
      ["audit:read", "GET", "/api/v1/audit/events"],
    ];
    const all = await tokenFor(carol, API_SCOPES, "ci-all");
    for (const scope of API_SCOPES) {
      const without = await tokenFor(
        carol,
        API_SCOPES.filter((s) => s !== scope),
        `ci-no-${scope}`,
      );
      for (const [needs, method, path, body] of endpoints.filter(([s]) => s === scope)) {
        const refused = await call(method, path, { token: without, body });
        expect(refused.status, `${method} ${path}`).toBe(403);
        expect(await message(refused)).toContain(needs);
        const served = await call(method, path, { token: all, body });
        expect(served.status, `${method} ${path} with the scope`).not.toBe(403);
        expect(served.status).not.toBe(401);
      }
    }
  });

  it("stops a token whose creator left (disabled in AD) or is no longer an admin", async () => {
    const person = await localUser(ADMIN_SAM, true);
    const secret = await tokenFor(person, ["privileges:read"], "ci-creator");
    resetAccountStateCache();
    await db.update(users).set({ adminCheckedAt: null }).where(eq(users.id, person.id));
    expect((await call("GET", "/api/v1/privileges", { token: secret })).status).toBe(200);

    await ad.modify(ADMIN_GROUP, memberChange("delete", adminDn));
    await db.update(users).set({ adminCheckedAt: null }).where(eq(users.id, person.id));
    const demoted = await call("GET", "/api/v1/privileges", { token: secret });
    expect(demoted.status).toBe(401);
    expect(await message(demoted)).toMatch(/no longer an Interim admin/);

    await ad.modify(ADMIN_GROUP, memberChange("add", adminDn));
    await db.update(users).set({ adminCheckedAt: null }).where(eq(users.id, person.id));
    expect((await call("GET", "/api/v1/privileges", { token: secret })).status).toBe(200);
    await ad.modify(adminDn, new Change({ operation: "replace", modification: new Attribute({ type: "userAccountControl", values: ["514"] }) }));
    resetAccountStateCache();
    const departed = await call("GET", "/api/v1/privileges", { token: secret });
    expect(departed.status).toBe(401);
    expect(await message(departed)).toMatch(/it-api-admin.*disabled/);
  });
});

describe("the REST API", () => {
  it("submits a request for the creator with the token named in the trail, and reports it when polled", async () => {
    const secret = await tokenFor(carol, ["requests:read", "requests:write"], "ci-deploy");
    const res = await call("POST", "/api/v1/requests", {
      token: secret,
      body: { privilegeId: deployPrivilegeId, durationMinutes: 5, justification: "deploy 42" },
    });
    expect(res.status).toBe(200);
    const submitted = (await res.json()) as { requestId: string; status: string };
    expect(submitted.status).toBe("approved");
    const [request] = await db.select().from(requests).where(eq(requests.id, submitted.requestId));
    expect(request!.requesterId).toBe(carol.id);
    const [row] = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.action, "request.submitted"), eq(auditEvents.targetId, submitted.requestId)));
    expect(row).toMatchObject({ actorType: "token", actorName: "ci-deploy (token of carol)", ip: "127.0.0.1" });
    const polled = await call("GET", `/api/v1/requests/${submitted.requestId}`, { token: secret });
    expect(polled.status).toBe(200);
    const body = (await polled.json()) as { status: string; grants: unknown[]; timeline: unknown[] };
    expect(body.status).toBe("approved");
    expect(body.grants).toHaveLength(1);
    const calls = await db.select().from(auditEvents).where(eq(auditEvents.action, "api.call"));
    expect(calls.map((c) => c.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ token: "ci-deploy", method: "POST", path: "/api/v1/requests", outcome: "ok" }),
        expect.objectContaining({ token: "ci-deploy", method: "GET", path: `/api/v1/requests/${submitted.requestId}`, outcome: "ok" }),
      ]),
    );
    const [token] = await db.select().from(apiTokens).where(eq(apiTokens.name, "ci-deploy"));
    expect(token!.lastUsedAt).not.toBeNull();
    expect(token!.lastUsedIp).toBe("127.0.0.1");
  });

  it("answers bad input with 400 and field errors, a non-JSON body with 415, an unknown id with 404", async () => {
    const secret = await tokenFor(carol, API_SCOPES, "ci-errors");
    const bad = await call("POST", "/api/v1/requests", { token: secret, body: { privilegeId, durationMinutes: "soon" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { fieldErrors: Record<string, string[]> }).fieldErrors).toHaveProperty("durationMinutes");
    const form = await call("POST", "/api/v1/requests", { token: secret, body: { privilegeId }, headers: { "content-type": "text/plain" } });
    expect(form.status).toBe(415);
    const huge = await call("POST", "/api/v1/requests", { token: secret, body: { privilegeId, justification: "x".repeat(1_100_000) } });
    expect(huge.status).toBe(413);
    const missing = await call("GET", `/api/v1/privileges/${crypto.randomUUID()}`, { token: secret });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBe("no-store");
    expect(missing.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("refuses to approve with a token (403), in the procedure and in the service", async () => {
    const secret = await tokenFor(carol, API_SCOPES, "ci-approve");
    const requestId = crypto.randomUUID();
    const res = await call("POST", `/api/v1/approvals/${requestId}/decide`, { token: secret, body: { decision: "approve" } });
    expect(res.status).toBe(403);
    expect(await message(res)).toMatch(/person signed in/);
    const actor = { type: "token" as const, id: crypto.randomUUID(), name: "ci (token of carol)" };
    await expect(decide(carol, actor, { requestId, decision: "approve" })).rejects.toThrow(/person signed in/);
  });

  it("exports the audit trail in chain order, a page at a time, filtered by action", async () => {
    const secret = await tokenFor(carol, ["audit:read"], "ci-audit");
    const first = (await (await call("GET", "/api/v1/audit/events?afterSeq=0&limit=2", { token: secret })).json()) as {
      events: { seq: number }[];
      nextAfterSeq: number;
    };
    expect(first.events.map((e) => e.seq)).toEqual([1, 2]);
    const next = (await (await call("GET", `/api/v1/audit/events?afterSeq=${first.nextAfterSeq}&limit=2`, { token: secret })).json()) as {
      events: { seq: number }[];
    };
    expect(next.events[0]!.seq).toBe(3);
    const created = (await (await call("GET", "/api/v1/audit/events?action=api_token.created&limit=1000", { token: secret })).json()) as {
      events: { action: string }[];
    };
    expect(created.events.length).toBeGreaterThan(0);
    expect(new Set(created.events.map((e) => e.action))).toEqual(new Set(["api_token.created"]));
  });

  it("ignores cookies: a signed-in browser session does not authenticate /api/v1", async () => {
    const sid = await startSession(carol.id, "127.0.0.1", "vitest");
    const jwt = await encode({
      token: { sub: carol.id, sid, username: carol.username, dn: carol.dn, displayName: carol.displayName, isAdmin: true },
      secret: process.env.NEXTAUTH_SECRET!,
      maxAge: 3600,
    });
    const cookie = `next-auth.session-token=${jwt}`;
    const viaTrpc = await fetch(`${base}/api/trpc/requests.mine?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, { headers: { cookie } });
    expect(viaTrpc.status).toBe(200);
    const res = await call("GET", "/api/v1/privileges", { headers: { cookie } });
    expect(res.status).toBe(401);
  });

  it("tRPC ignores Bearer tokens", async () => {
    const secret = await tokenFor(carol, API_SCOPES, "ci-trpc");
    const res = await fetch(`${base}/api/trpc/requests.mine?input=${encodeURIComponent(JSON.stringify({ json: {} }))}`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(res.status).toBe(401);
  });

  it("serves an OpenAPI 3 document listing every path", async () => {
    const res = await fetch(`${base}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; components: { securitySchemes: Record<string, unknown> } };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes).toEqual({ bearer: expect.objectContaining({ type: "http", scheme: "bearer" }) });
    for (const path of [
      "/requests",
      "/requests/{requestId}",
      "/requests/{requestId}/cancel",
      "/grants",
      "/grants/{grantId}/end",
      "/approvals/pending",
      "/approvals/{requestId}/decide",
      "/privileges",
      "/privileges/{privilegeId}",
      "/access-groups",
      "/access-groups/{accessGroupId}",
      "/audit/events",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
  });
});
