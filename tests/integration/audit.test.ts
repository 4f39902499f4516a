import { randomUUID } from "node:crypto";
import { asc } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditEvents } from "@/db/schema";
import type { AuditActor, AuditEvent } from "@/server/audit/events";
import { recordAudit, verifyAuditChain } from "@/server/audit/service";
import { resetDatabase } from "./fixtures";

beforeEach(resetDatabase);

const awkward = `quote " backslash \\ newline\n tab\t unicode é 漢字 🙂 and a ' too`;

describe("recordAudit", () => {
  it("stores every event exactly as given, thousands in one call, and the chain verifies", async () => {
    const actor: AuditActor = { type: "user", id: randomUUID(), name: awkward, ip: "2001:db8::1", userAgent: awkward };
    const events: AuditEvent[] = Array.from({ length: 4500 }, (_, i) =>
      i % 2
        ? {
            action: "request.refused",
            targetType: "privilege",
            targetId: randomUUID(),
            data: { privilege: `${awkward} ${i}`, rule: "fields", reason: awkward, location: "" },
          }
        : {
            action: "grant.activated",
            targetType: "grant",
            targetId: randomUUID(),
            data: {
              groupDn: `CN=G ${i},DC=x`,
              memberDn: "CN=A\\, B,DC=x",
              expiresAt: new Date(1_800_000_000_000 + i).toISOString(),
              alreadyMember: i % 4 === 0,
              ttlSeconds: null,
            },
          },
    );
    await db.transaction((tx) => recordAudit(tx, actor, events.slice(0, 1)));
    await db.transaction((tx) => recordAudit(tx, actor, events.slice(1)));

    const rows = await db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
    expect(rows.map((r) => ({ action: r.action, targetType: r.targetType, targetId: r.targetId, data: r.data }))).toEqual(events);
    expect(rows.map((r) => r.seq)).toEqual(events.map((_, i) => i + 1));
    expect(new Set(rows.map((r) => [r.actorName, r.userAgent, r.ip, r.actorId].join("|")))).toEqual(
      new Set([[awkward, awkward, "2001:db8::1", actor.id].join("|")]),
    );
    expect(await verifyAuditChain(db)).toEqual({ checked: 4500, problems: [] });
  });
});
