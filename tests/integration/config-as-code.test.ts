import type { Client } from "ldapts";
import { asc, eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { migrateDatabase } from "@/db/migrate";
import * as schema from "@/db/schema";
import { auditEvents, catalogCredentials } from "@/db/schema";
import { setActivation } from "@/server/access-groups/members";
import { updateApprovers, updateNotifications, updateSessions } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { ImportRefused, applyImport, exportConfiguration, previewImport } from "@/server/config-as-code/service";
import { updateReplicationSettings } from "@/server/directory/settings";
import { setDriftAction } from "@/server/drift/service";
import { searchPrincipals } from "@/server/directory/principals";
import { findUser } from "@/server/directory/service";
import { createPrivilegeSet } from "@/server/privilege-sets/service";
import { updatePrivilege } from "@/server/privileges/service";
import {
  actorFor,
  adminClient,
  configuredAccessGroup,
  directoryGuid,
  ensureAdGroup,
  ensureAdUser,
  ensureTestOuGroup,
  localUser,
  ownerDb,
  publishNamed,
  resetDatabase,
  trpcHttp,
} from "./fixtures";

/*
 * Configuration as code on the real DC and Postgres: a rich configuration (every kind of object,
 * every access-group tab) exported, imported into an empty database and exported again gives the
 * same bytes; a preview lists exactly the changed fields; an import with one bad part changes
 * nothing and names the part; a stale preview and a non-admin are refused; applying is audited.
 */

const PEOPLE = ["it-cfg-req", "it-cfg-appr1", "it-cfg-appr2", "it-cfg-adm"] as const;
const GROUPS = { one: "IT Cfg One", two: "IT Cfg Two" } as const;
const EMPTY_DB = `${new URL(process.env.DATABASE_URL!).pathname.slice(1)}_cfg_empty`;
let ad: Client;
let carol: SessionUser;
let requester: SessionUser;

/** A catalog account as the catalog sync would make it (the catalog is synced from AD, not configuration). */
async function catalogAccount(sam: string) {
  const person = await findUser(sam);
  await db.insert(catalogCredentials).values({ username: sam, type: "domain", source: "directory", objectGuid: person!.objectGuid, dn: person!.dn });
}

async function seedRichConfiguration(membersGroupGuid: string) {
  const actor = actorFor(carol);
  const one = await publishNamed(carol, GROUPS.one, "Cfg One", ["sql", "prod"], 240);
  const two = await publishNamed(carol, GROUPS.two, "Cfg Two", ["web"], 60);
  await updatePrivilege(carol, actor, {
    id: two.id,
    name: "Cfg Two",
    description: "Web admins",
    maxDurationMinutes: 60,
    defaultDurationMinutes: 30,
    allowExtension: true,
    maxTotalMinutes: 180,
    tags: ["web"],
    enabled: true,
  });
  await setDriftAction(carol, actor, { privilegeId: one.id, action: "remove" });
  await catalogAccount("it-cfg-adm");
  const [account] = await db.select().from(catalogCredentials);
  await createPrivilegeSet(carol, actor, {
    name: "Cfg Both",
    description: "one and two",
    privilegeIds: [one.id, two.id],
    credentialIds: [account!.id],
    allowOwnAccount: true,
  });
  const group = await configuredAccessGroup(carol, {
    name: "Cfg Operators",
    timeZone: "Europe/Paris",
    settings: { requiresJustification: true, requiresApproval: true, approvalInLevels: true, allowsEmergencyAccess: true, usualDays: [1, 2, 3] },
    criteria: { privilegeTags: ["sql", "web"], deviceNames: ["SRV-*"] },
    limits: { daysOfWeek: [1, 2, 3, 4, 5], windows: [{ start: "07:00", end: "19:00" }], validFrom: "2026-01-01", validTo: null },
    locations: { restrict: true, allowed: [{ country: "FR", region: "FR-IDF" }, { country: "DE" }] },
    members: [await directoryGuid("it-cfg-req"), membersGroupGuid],
  });
  await setActivation(carol, actor, group.id, await directoryGuid("it-cfg-req"), "suspended");
  await updateApprovers(carol, actor, {
    id: group.id,
    version: group.version,
    approvers: [
      { userGuid: await directoryGuid("it-cfg-appr1"), level: 1 },
      { userGuid: await directoryGuid("it-cfg-appr2"), level: 2 },
      { userGuid: await directoryGuid("carol"), level: 2 },
    ],
    levels: [{ level: 2, requiredApprovals: 2 }],
  });
  const [afterApprovers] = await db.select().from(schema.accessGroups).where(eq(schema.accessGroups.id, group.id));
  const notified = await updateNotifications(carol, actor, {
    id: group.id,
    version: afterApprovers!.version,
    notifications: {
      emailEvents: ["requested", "approval_needed", "emergency"],
      extraRecipients: ["soc@interim.test"],
      extraEvents: ["emergency"],
      webhooks: [
        { id: crypto.randomUUID(), name: "SIEM", kind: "generic", url: "https://hooks.example.com/interim", events: ["requested", "granted"], enabled: true },
      ],
    },
  });
  await updateSessions(carol, actor, {
    id: group.id,
    version: notified.version,
    sessions: {
      enabled: true,
      recording: true,
      maxSessionMinutes: 90,
      idleTimeoutMinutes: 10,
      privilegeIds: [one.id],
      rules: { alert: ["rm -rf *"], block: ["/shutdown/i"] },
    },
  });
  await configuredAccessGroup(carol, { name: "Cfg Auditors", settings: { autoGrantOnProvisioning: true } });
  await updateReplicationSettings(carol, actor, { mode: "both", latencySeconds: 5, maxWaitSeconds: 120, dcUrls: [] });
}

/** Runs `fn` with the app's connection pointed at another database of the same cluster. */
async function inDatabase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const holder = globalThis as unknown as { interimDb?: { client: postgres.Sql; db: unknown } };
  const saved = holder.interimDb;
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  const client = postgres(url.toString(), { max: 4, onnotice: () => {} });
  holder.interimDb = { client, db: drizzle(client, { schema }) };
  try {
    return await fn();
  } finally {
    holder.interimDb = saved;
    await client.end({ timeout: 5 });
  }
}

async function createEmptyDatabase() {
  await ownerDb().execute(sql.raw(`drop database if exists ${EMPTY_DB} with (force)`));
  await ownerDb().execute(sql.raw(`create database ${EMPTY_DB}`));
  const owner = new URL(process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!);
  owner.pathname = `/${EMPTY_DB}`;
  const app = new URL(process.env.DATABASE_URL!);
  app.pathname = `/${EMPTY_DB}`;
  await migrateDatabase(owner.toString(), app.toString());
}

/** Exports, edits the parsed YAML with `edit`, and gives the edited text back. */
async function edited(edit: (doc: ReturnType<typeof parseDocument>) => void) {
  const doc = parseDocument((await exportConfiguration(carol)).yaml);
  edit(doc);
  return doc.toString();
}

async function configAudit() {
  return db
    .select()
    .from(auditEvents)
    .where(sql`${auditEvents.action} like 'config.%'`)
    .orderBy(asc(auditEvents.seq));
}

let exported: string;

beforeAll(async () => {
  ad = await adminClient();
  for (const sam of PEOPLE) await ensureAdUser(ad, sam);
  for (const cn of Object.values(GROUPS)) await ensureAdGroup(ad, cn);
  await ensureTestOuGroup(ad, "it-cfg-members");
  await resetDatabase();
  carol = await localUser("carol", true);
  requester = await localUser("it-cfg-req");
  const [membersGroup] = (await searchPrincipals("group", "it-cfg-members")).filter((g) => g.name === "it-cfg-members");
  await seedRichConfiguration(membersGroup!.objectGuid);
  exported = (await exportConfiguration(carol)).yaml;
  await createEmptyDatabase();
});

afterAll(async () => {
  await ownerDb().execute(sql.raw(`drop database if exists ${EMPTY_DB} with (force)`));
  await ad?.unbind();
});

describe("configuration as code", () => {
  it("exports every kind of object by natural keys, with no ids, timestamps or secrets", async () => {
    expect(exported).toMatch(/^# Interim configuration \(version 1\)/);
    for (const text of [
      "Cfg One",
      "Cfg Two",
      "Cfg Both",
      "Cfg Operators",
      "Cfg Auditors",
      "it-cfg-members",
      "it-cfg-appr2",
      "soc@interim.test",
      "SIEM",
      "FR-IDF",
      "rm -rf *",
    ]) {
      expect(exported).toContain(text);
    }
    expect(exported).toContain("mode: both");
    expect(exported).toContain("drift: remove");
    expect(exported).toContain("state: suspended");
    // Guids of AD objects only: never a database id.
    const uuids = [...exported.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]);
    const ids = await db.execute<{ id: string }>(
      sql`select id::text from privileges union all select id::text from access_groups union all select id::text from privilege_sets`,
    );
    expect(ids.length).toBe(5);
    for (const r of ids) expect(uuids).not.toContain(r.id);
    expect(exported).not.toMatch(/createdAt|updatedAt|secret:/);
  });

  it("round-trips: import into an empty database, export again, same bytes", async () => {
    const again = await inDatabase(EMPTY_DB, async () => {
      const admin = await localUser("carol", true);
      await catalogAccount("it-cfg-adm");
      const preview = await previewImport(admin, { yaml: exported });
      if (!preview.ok) throw new Error(JSON.stringify(preview.issues));
      // Replication settings, two privileges, one set and two access groups.
      expect(preview.summary).toEqual({ added: 5, changed: 1, removed: 0 });
      const applied = await applyImport(admin, actorFor(admin), { yaml: exported, expectedHash: preview.hash });
      expect(applied.issuedSecrets.map((s) => s.name)).toEqual(["SIEM"]);
      return (await exportConfiguration(admin)).yaml;
    });
    expect(again).toBe(exported);
  });

  it("previews exactly the changed fields, and an unchanged document as no change", async () => {
    expect(await previewImport(carol, { yaml: exported })).toMatchObject({ ok: true, changes: [], summary: { added: 0, changed: 0, removed: 0 } });
    const yaml = await edited((d) => {
      d.setIn(["privileges", 1, "maxDurationMinutes"], 90);
      d.setIn(["accessGroups", 1, "limits", "windows", 0, "end"], "20:00");
      d.setIn(["accessGroups", 1, "criteria", "deviceNames"], ["SRV-*", "DB-*"]);
    });
    const preview = await previewImport(carol, { yaml });
    expect(preview.ok).toBe(true);
    if (!preview.ok) return;
    expect(preview.changes).toEqual([
      { kind: "privilege", key: expect.any(String), name: "Cfg Two", change: "changed", fields: [{ path: "maxDurationMinutes", before: 60, after: 90 }] },
      {
        kind: "accessGroup",
        key: "Cfg Operators",
        name: "Cfg Operators",
        change: "changed",
        fields: [
          { path: "criteria.deviceNames", before: ["SRV-*"], after: ["SRV-*", "DB-*"], added: ["DB-*"], removed: [] },
          {
            path: "limits.windows",
            before: [{ start: "07:00", end: "19:00" }],
            after: [{ start: "07:00", end: "20:00" }],
            added: [{ start: "07:00", end: "20:00" }],
            removed: [{ start: "07:00", end: "19:00" }],
          },
        ],
      },
    ]);
  });

  it("refuses a document with one invalid part as a whole, naming each bad path", async () => {
    const before = (await exportConfiguration(carol)).yaml;
    const events = (await configAudit()).length;
    const yaml = await edited((d) => {
      d.setIn(["privileges", 0, "description"], "a valid change");
      d.setIn(["accessGroups", 1, "limits", "validTo"], "2025-01-01");
      d.setIn(["accessGroups", 1, "members", 0, "objectGuid"], "0badc0de-0000-4000-8000-000000000000");
      d.setIn(["privilegeSets", 0, "privileges", 0], "No such privilege");
    });
    const preview = await previewImport(carol, { yaml });
    expect(preview.ok).toBe(false);
    const paths = preview.ok ? [] : preview.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(["accessGroups[1].limits.validTo", "accessGroups[1].members[0].objectGuid", "privilegeSets[0].privileges[0]"]),
    );
    const hash = (await exportConfiguration(carol)).hash;
    const refusal = await applyImport(carol, actorFor(carol), { yaml, expectedHash: hash }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(ImportRefused);
    expect((refusal as Error).message).toContain("accessGroups[1].limits.validTo: The end date cannot be before the start date");
    expect((await exportConfiguration(carol)).yaml).toBe(before);
    expect(await configAudit()).toHaveLength(events);
  });

  it("applies in one transaction with one audit event per object and a summary; refuses a stale preview", async () => {
    const yaml = await edited((d) => {
      d.setIn(["privileges", 0, "enabled"], false);
      d.setIn(["privileges", 0, "drift"], "alert");
      d.setIn(["privilegeSets", 0, "enabled"], false);
      d.setIn(["accessGroups", 0, "description"], "read only");
    });
    const preview = await previewImport(carol, { yaml });
    if (!preview.ok) throw new Error(JSON.stringify(preview.issues));
    // Someone saves a change after the preview: applying it now would overwrite what they did unseen.
    const [two] = await db.select().from(schema.privileges).where(eq(schema.privileges.name, "Cfg Two"));
    await updatePrivilege(carol, actorFor(carol), { ...two!, maxTotalMinutes: 240, id: two!.id });
    const stale = await applyImport(carol, actorFor(carol), { yaml, expectedHash: preview.hash }).catch((e: unknown) => e);
    expect(stale).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/changed since this preview/) });
    const [one] = await db.select().from(schema.privileges).where(eq(schema.privileges.name, "Cfg One"));
    expect(one!.enabled).toBe(true);

    const fresh = await previewImport(carol, { yaml });
    if (!fresh.ok) throw new Error(JSON.stringify(fresh.issues));
    // A preview's token is for its own document: another one, however valid, is not applied with it.
    const other = yaml.replace("read only", "something else entirely");
    expect(other).not.toBe(yaml);
    const swapped = await applyImport(carol, actorFor(carol), { yaml: other, expectedHash: fresh.hash }).catch((e: unknown) => e);
    expect(swapped).toMatchObject({ code: "CONFLICT" });
    // The edit made after the first preview is undone by this document: the preview says so.
    expect(fresh.summary).toEqual({ added: 0, changed: 4, removed: 0 });
    const seqBefore = (await configAudit()).length;
    const applied = await applyImport(carol, actorFor(carol), { yaml, expectedHash: fresh.hash });
    const rows = (await configAudit()).slice(seqBefore);
    expect(rows.map((r) => [r.action, r.targetType])).toEqual([
      ["config.object_changed", "privilege"],
      ["config.object_changed", "privilege"],
      ["config.object_changed", "privilege_set"],
      ["config.object_changed", "access_group"],
      ["config.imported", "configuration"],
    ]);
    expect(rows.at(-1)!.data).toMatchObject({ importId: applied.importId, added: 0, changed: 4, removed: 0, afterHash: applied.hash });
    expect(rows[0]!.data).toMatchObject({
      name: "Cfg One",
      fields: [
        { path: "enabled", before: true, after: false },
        { path: "drift", before: "remove", after: "alert" },
      ],
    });
    expect(new Set((await db.select().from(schema.privilegeDriftSettings)).map((d) => d.action))).toEqual(new Set(["alert"]));
    expect(parseDocument((await exportConfiguration(carol)).yaml).toJS()).toEqual(parseDocument(yaml).toJS());
  });

  it("removes an access group left out of the document", async () => {
    const yaml = await edited((d) => d.deleteIn(["accessGroups", 0]));
    const preview = await previewImport(carol, { yaml });
    if (!preview.ok) throw new Error(JSON.stringify(preview.issues));
    expect(preview.changes).toEqual([{ kind: "accessGroup", key: "Cfg Auditors", name: "Cfg Auditors", change: "removed", fields: [] }]);
    await applyImport(carol, actorFor(carol), { yaml, expectedHash: preview.hash });
    expect((await db.select().from(schema.accessGroups)).map((g) => g.name)).toEqual(["Cfg Operators"]);
  });

  it("never exports or audits secrets: signing secrets are kept, Slack URLs written as kept", async () => {
    const sealed = async () => (await db.select().from(schema.webhookSecrets)).map((r) => [r.webhookId, r.sealed]);
    const siemSecret = await sealed();
    const secretUrl = "https://hooks.slack.com/services/T000/B000/SECRETPART";
    const yaml = await edited((d) => {
      d.addIn(["accessGroups", 0, "notifications", "webhooks"], { name: "Chat", kind: "slack", url: secretUrl, events: ["emergency"], enabled: true });
    });
    const preview = await previewImport(carol, { yaml });
    if (!preview.ok) throw new Error(JSON.stringify(preview.issues));
    expect(JSON.stringify(preview.changes)).not.toContain("SECRETPART");
    const applied = await applyImport(carol, actorFor(carol), { yaml, expectedHash: preview.hash });
    expect(applied.issuedSecrets.map((s) => s.name)).toEqual(["Chat"]);
    expect((await sealed()).filter(([id]) => siemSecret.some(([old]) => old === id))).toEqual(siemSecret);
    const after = (await exportConfiguration(carol)).yaml;
    expect(after).not.toContain("SECRETPART");
    expect(after).toMatch(/name: Chat\n\s+kind: slack\n\s+url: kept/);
    expect(JSON.stringify(await configAudit())).not.toContain("SECRETPART");
    const [row] = await db.select().from(schema.accessGroups);
    expect(JSON.stringify(row!.notifications)).toContain(secretUrl);
    // "kept" stands for the saved URL of that webhook: under another name there is none.
    const renamed = parseDocument(after);
    renamed.setIn(["accessGroups", 0, "notifications", "webhooks", 0, "name"], "Chat 2");
    const refused = await previewImport(carol, { yaml: renamed.toString() });
    expect(refused).toMatchObject({
      ok: false,
      issues: [{ path: "accessGroups[0].notifications.webhooks[0].url", message: expect.stringMatching(/no saved slack webhook named "Chat 2"/) }],
    });
  });

  it("is for admins only, in the procedure and in the service", async () => {
    const { hash } = await exportConfiguration(carol);
    await expect(exportConfiguration(requester)).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(previewImport(requester, { yaml: exported })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(applyImport(requester, actorFor(requester), { yaml: exported, expectedHash: hash })).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "configuration.export", undefined, { query: true })).toMatchObject({ ok: false, code: "FORBIDDEN" });
    expect(await trpcHttp(requester, "configuration.applyImport", { yaml: exported, expectedHash: hash })).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });
});
