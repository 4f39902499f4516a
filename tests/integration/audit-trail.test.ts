import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { encode } from "next-auth/jwt";
import pino from "pino";
import { asc, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents, catalogCredentials, catalogDevices, grants, privileges, privilegeSets, requests } from "@/db/schema";
import { createAccessGroup, deleteAccessGroup } from "@/server/access-groups/service";
import { recordAudit } from "@/server/audit/service";
import type { SessionUser } from "@/server/auth/permissions";
import { startSession } from "@/server/auth/sessions";
import { handleAuditExport } from "@/server/http/audit-export";
import { createCaller } from "@/server/trpc/root";
import { actorFor, localUser, resetDatabase } from "./fixtures";

/*
 * The audit trail people read (issue 16): names instead of ids, free text over the data, and the
 * filtered trail exported over real HTTP (server/http/audit-export.ts on a loopback server, the
 * real Postgres and AD: the admin check asks the directory).
 */

let server: Server;
let base: string;
let carol: SessionUser;
let alice: SessionUser;
const ids: Record<string, string> = {};
const callerAs = (user: SessionUser) => createCaller({ user, ip: "127.0.0.1", userAgent: "vitest", requestId: "audit-trail", log: pino({ level: "silent" }) });

async function cookieFor(user: SessionUser) {
  const sid = await startSession(user.id, "127.0.0.1", "vitest");
  const token = await encode({
    token: { sub: user.id, sid, username: user.username, dn: user.dn, displayName: user.displayName, isAdmin: user.isAdmin },
    secret: process.env.NEXTAUTH_SECRET!,
    maxAge: 3600,
  });
  return `next-auth.session-token=${token}`;
}

const exportUrl = (params: Record<string, string>) => `${base}/api/audit/export?${new URLSearchParams(params)}`;

/** RFC 4180: quoted cells may hold commas, doubled quotes and line breaks; records end with CRLF. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (quoted && ch === '"') {
      quoted = false;
    } else if (quoted) {
      cell += ch;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === ",") {
      record.push(cell);
      cell = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(cell);
      records.push(record);
      record = [];
      cell = "";
      i++;
    } else {
      cell += ch;
    }
  }
  return records;
}

const TRICKY = 'Rack 4, "east"\nsecond line';

beforeAll(async () => {
  delete process.env.NEXTAUTH_URL; // plain http: the cookie without the __Secure- prefix
  await resetDatabase();
  carol = await localUser("carol", true);
  alice = await localUser("alice");
  const [p] = await db
    .insert(privileges)
    .values({
      name: "Trail SQL",
      groupDn: "CN=trail-sql,OU=Privileges,OU=Interim,DC=interim,DC=test",
      groupGuid: randomUUID(),
      maxDurationMinutes: 60,
      defaultDurationMinutes: 30,
    })
    .returning();
  const [set] = await db.insert(privilegeSets).values({ name: "Trail set" }).returning();
  const [device] = await db.insert(catalogDevices).values({ name: "=cmd|' /C calc'!A0", source: "manual" }).returning();
  const [account] = await db.insert(catalogCredentials).values({ username: "adm-trail", source: "manual" }).returning();
  const [request] = await db.insert(requests).values({ requesterId: alice.id, privilegeId: p!.id, targetDn: alice.dn, durationMinutes: 30 }).returning();
  const [grant] = await db
    .insert(grants)
    .values({
      requestId: request!.id,
      userId: alice.id,
      privilegeId: p!.id,
      memberGuid: randomUUID(),
      memberDn: alice.dn,
      groupGuid: p!.groupGuid,
      groupDn: p!.groupDn,
      durationSeconds: 1800,
    })
    .returning();
  const group = await createAccessGroup(carol, actorFor(carol), { name: "Trail doomed group", description: "", timeZone: "UTC" });
  Object.assign(ids, { privilege: p!.id, set: set!.id, device: device!.id, account: account!.id, request: request!.id, grant: grant!.id, group: group.id });
  const actor = actorFor(carol);
  await db.transaction((tx) =>
    recordAudit(tx, actor, [
      { action: "auth.sessions_ended", targetType: "user", targetId: alice.id, data: { username: "alice", reason: "needle-in-data", sessions: 1 } },
      { action: "privilege.updated", targetType: "privilege", targetId: p!.id, data: { before: {}, after: {} } },
      { action: "privilege_set.updated", targetType: "privilege_set", targetId: set!.id, data: { before: {}, after: {} } },
      { action: "catalog.item_updated", targetType: "device", targetId: device!.id, data: { before: { note: TRICKY }, after: {} } },
      { action: "catalog.item_updated", targetType: "credential", targetId: account!.id, data: { before: {}, after: {} } },
      { action: "request.cancelled", targetType: "request", targetId: request!.id, data: { reason: "test" } },
      { action: "grant.cancelled", targetType: "grant", targetId: grant!.id, data: { reason: "test" } },
      { action: "access_group.updated", targetType: "access_group", targetId: group.id, data: { tab: "criteria", before: {}, after: {} } },
      {
        action: "directory.orphan_removed",
        targetType: "group",
        targetId: p!.groupDn,
        data: { groupDn: p!.groupDn, memberDn: alice.dn, lastGrantId: grant!.id },
      },
    ]),
  );
  await deleteAccessGroup(carol, actorFor(carol), group.id);
  // Renamed after the events: the trail shows the name of today.
  await db.update(privileges).set({ name: "Trail SQL renamed" }).where(eq(privileges.id, p!.id));
  server = createServer((req, res) => void handleAuditExport(req, res));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("audit.list", () => {
  it("names actors and targets of every kind, a deleted access group by the name the trail recorded", async () => {
    const rows = await callerAs(carol).audit.list({ limit: 50 });
    const target = (action: string, type: string) => rows.find((r) => r.action === action && r.targetType === type)!.names;
    expect(target("auth.sessions_ended", "user").target).toBe(`${alice.displayName} (alice)`);
    expect(target("privilege.updated", "privilege").target).toBe("Trail SQL renamed");
    expect(target("privilege_set.updated", "privilege_set").target).toBe("Trail set");
    expect(target("catalog.item_updated", "device").target).toBe("=cmd|' /C calc'!A0");
    expect(target("catalog.item_updated", "credential").target).toBe("adm-trail");
    expect(target("request.cancelled", "request").target).toBe("Trail SQL renamed for alice");
    expect(target("grant.cancelled", "grant").target).toBe("Trail SQL renamed → alice");
    expect(target("directory.orphan_removed", "group").target).toBe("trail-sql");
    expect(target("access_group.updated", "access_group")).toEqual({ actor: `${carol.displayName} (carol)`, target: "Trail doomed group", targetGone: true });
    expect(target("privilege.updated", "privilege").targetGone).toBe(false);
    expect(rows.find((r) => r.action === "privilege.updated")!.targetId).toBe(ids.privilege);
  });

  it("finds words inside the event data, a target by its current name, and nothing for half a word in the middle", async () => {
    expect((await callerAs(carol).audit.list({ q: "needle-in-data", limit: 50 })).map((r) => r.action)).toEqual(["auth.sessions_ended"]);
    expect((await callerAs(carol).audit.list({ q: "RACK 4 east", limit: 50 })).map((r) => r.targetId)).toEqual([ids.device]);
    const byName = await callerAs(carol).audit.list({ q: "renamed", limit: 50 });
    expect(new Set(byName.map((r) => r.targetId))).toEqual(new Set([ids.privilege, ids.request, ids.grant]));
    expect(await callerAs(carol).audit.list({ q: "eedle", limit: 50 })).toEqual([]);
  });
});

describe("GET /api/audit/export", () => {
  it("streams every filtered row, oldest first, as CSV with quotes, commas, newlines and formulas defused", async () => {
    const res = await fetch(exportUrl({ format: "csv", actor: "carol" }), { headers: { cookie: await cookieFor(carol) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="interim-audit-.*\.csv"$/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const [header, ...records] = parseCsv(await res.text());
    const col = (name: string) => header!.indexOf(name);
    const expected = await db
      .select({ seq: auditEvents.seq })
      .from(auditEvents)
      .where(sql`${auditEvents.actorName} ilike '%carol%' and ${auditEvents.action} not like 'audit.export%'`)
      .orderBy(asc(auditEvents.seq));
    expect(records.map((r) => Number(r[col("seq")]))).toEqual(expected.map((e) => e.seq));
    const device = records.find((r) => r[col("target_id")] === ids.device)!;
    expect(device[col("target")]).toBe("'=cmd|' /C calc'!A0");
    expect(JSON.parse(device[col("data")]!)).toEqual({ before: { note: TRICKY }, after: {} });
    expect(records.every((r) => r.length === header!.length)).toBe(true);
  });

  it("streams JSON lines that parse, filtered like the page", async () => {
    const res = await fetch(exportUrl({ format: "jsonl", actor: "", action: "catalog.item_updated" }), { headers: { cookie: await cookieFor(carol) } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).split("\n").filter(Boolean);
    const rows = lines.map((l) => JSON.parse(l) as { seq: number; targetId: string; target: string; data: unknown });
    expect(rows.map((r) => r.targetId)).toEqual([ids.device, ids.account]);
    expect(rows[0]!.data).toEqual({ before: { note: TRICKY }, after: {} });
    expect(rows[1]!.target).toBe("adm-trail");
  });

  it("refuses no cookie (401), a non-admin (403) and bad filters (400), without a body of rows", async () => {
    const none = await fetch(exportUrl({ format: "csv" }));
    expect(none.status).toBe(401);
    expect(none.headers.get("content-disposition")).toBeNull();
    const notAdmin = await fetch(exportUrl({ format: "csv" }), { headers: { cookie: await cookieFor(alice) } });
    expect(notAdmin.status).toBe(403);
    expect(await notAdmin.text()).not.toMatch(/auth\.sessions_ended/);
    const bad = await fetch(exportUrl({ format: "xlsx" }), { headers: { cookie: await cookieFor(carol) } });
    expect(bad.status).toBe(400);
  });

  it("is audited: who exported, with which filter, how many rows", async () => {
    const res = await fetch(exportUrl({ format: "jsonl", action: "grant.cancelled" }), { headers: { cookie: await cookieFor(carol) } });
    expect((await res.text()).trim().split("\n")).toHaveLength(1);
    const [done] = await db.select().from(auditEvents).where(eq(auditEvents.action, "audit.exported")).orderBy(desc(auditEvents.seq)).limit(1);
    expect(done).toMatchObject({ actorId: carol.id, actorName: "carol", targetType: "audit_trail" });
    expect(done!.data).toMatchObject({ format: "jsonl", filter: { action: "grant.cancelled" }, rows: 1, complete: true });
    const [started] = await db.select().from(auditEvents).where(eq(auditEvents.action, "audit.export_started")).orderBy(desc(auditEvents.seq)).limit(1);
    expect(started!.seq).toBeLessThan(done!.seq);
  });
});
