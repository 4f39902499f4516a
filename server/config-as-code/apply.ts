import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, notInArray, sql } from "drizzle-orm";
import type { Transaction } from "@/db";
import {
  accessGroupActivations,
  accessGroupApprovers,
  accessGroupLevels,
  accessGroupMembers,
  accessGroups,
  directorySettings,
  privilegeDriftSettings,
  privilegeSetAccounts,
  privilegeSetItems,
  privilegeSets,
  privileges,
} from "@/db/schema";
import type { AuditActor, AuditEvent } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { notificationSettingsSchema } from "@/server/notifications/schemas";
import { syncWebhookSecrets, type IssuedSecret } from "@/server/notifications/webhook-secrets";
import type { ObjectChange } from "./diff";
import { privilegeKey } from "./diff";
import { privilegeSettings, type AccessGroupConfig, type ConfigDocument } from "./document";
import type { ImportContext } from "./resolve";
import { webhookRef } from "./resolve-groups";

/*
 * Writes the changes of a checked import, in the caller's transaction: privileges first (sets and
 * sessions name them), then sets and access groups, removals last and in reverse order. One audit
 * event per object; the caller adds the summary.
 */

const TARGET = { directory: "directory", privilege: "privilege", privilegeSet: "privilege_set", accessGroup: "access_group" } as const;

export interface ApplyResult {
  events: AuditEvent[];
  issuedSecrets: (IssuedSecret & { accessGroup: string })[];
}

const lowerGuid = (column: typeof privileges.groupGuid) => sql`lower(${column})`;

async function privilegeIds(tx: Transaction) {
  return new Map((await tx.select({ id: privileges.id, name: privileges.name }).from(privileges)).map((r) => [r.name, r.id]));
}

async function writePrivilege(tx: Transaction, user: SessionUser, doc: ConfigDocument, ctx: ImportContext, c: ObjectChange): Promise<string> {
  const p = doc.privileges.find((x) => privilegeKey(x) === c.key)!;
  const group = ctx.adGroups.get(c.key)!;
  const values = { name: p.name, groupDn: group.dn, ...privilegeSettings(p) };
  const [row] =
    c.change === "added"
      ? await tx
          .insert(privileges)
          .values({ ...values, groupGuid: group.objectGuid, groupSid: group.objectSid, createdBy: user.id || null })
          .returning({ id: privileges.id })
      : await tx
          .update(privileges)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(lowerGuid(privileges.groupGuid), c.key))
          .returning({ id: privileges.id });
  const drift = { action: p.drift, updatedBy: user.id || null, updatedAt: new Date() };
  await tx
    .insert(privilegeDriftSettings)
    .values({ privilegeId: row!.id, ...drift })
    .onConflictDoUpdate({ target: privilegeDriftSettings.privilegeId, set: drift });
  return row!.id;
}

async function writeSet(tx: Transaction, user: SessionUser, doc: ConfigDocument, ctx: ImportContext, c: ObjectChange, ids: Map<string, string>) {
  const s = doc.privilegeSets.find((x) => x.name === c.key)!;
  const values = { name: s.name, description: s.description, enabled: s.enabled, allowOwnAccount: s.allowOwnAccount };
  const [row] =
    c.change === "added"
      ? await tx
          .insert(privilegeSets)
          .values({ ...values, createdBy: user.id || null })
          .returning({ id: privilegeSets.id })
      : await tx
          .update(privilegeSets)
          .set({ ...values, updatedAt: new Date() })
          .where(eq(privilegeSets.name, c.key))
          .returning({ id: privilegeSets.id });
  const setId = row!.id;
  await tx.delete(privilegeSetItems).where(eq(privilegeSetItems.setId, setId));
  await tx.delete(privilegeSetAccounts).where(eq(privilegeSetAccounts.setId, setId));
  await tx.insert(privilegeSetItems).values(s.privileges.map((name) => ({ setId, privilegeId: ids.get(name)! })));
  if (s.accounts.length) await tx.insert(privilegeSetAccounts).values(s.accounts.map((a) => ({ setId, credentialId: ctx.credentials.get(a.objectGuid)! })));
  return setId;
}

async function writePeople(tx: Transaction, user: SessionUser, ctx: ImportContext, groupId: string, g: AccessGroupConfig) {
  const person = (guid: string) => ctx.principals.get(guid)!;
  const keep = g.members.map((m) => person(m.objectGuid).objectGuid);
  await tx
    .delete(accessGroupMembers)
    .where(and(eq(accessGroupMembers.groupId, groupId), keep.length ? notInArray(accessGroupMembers.objectGuid, keep) : undefined));
  if (g.members.length) {
    await tx
      .insert(accessGroupMembers)
      .values(
        g.members.map((m) => {
          const p = person(m.objectGuid);
          return {
            groupId,
            kind: p.kind,
            objectGuid: p.objectGuid,
            objectSid: p.objectSid,
            dn: p.dn,
            name: p.name,
            displayName: p.displayName,
            addedBy: user.id || null,
          };
        }),
      )
      .onConflictDoNothing();
  }
  // Admin decisions only: first-sight states are the group's own business.
  const decided = g.activations.map((a) => person(a.objectGuid).objectGuid);
  await tx
    .delete(accessGroupActivations)
    .where(
      and(
        eq(accessGroupActivations.groupId, groupId),
        eq(accessGroupActivations.source, "admin"),
        decided.length ? notInArray(accessGroupActivations.userGuid, decided) : undefined,
      ),
    );
  const now = new Date();
  for (const a of g.activations) {
    const p = person(a.objectGuid);
    const decision = { state: a.state, source: "admin", decidedBy: user.id || null, decidedAt: now, username: p.name, displayName: p.displayName };
    await tx
      .insert(accessGroupActivations)
      .values({ groupId, userGuid: p.objectGuid, ...decision })
      .onConflictDoUpdate({ target: [accessGroupActivations.groupId, accessGroupActivations.userGuid], set: decision });
  }
  await tx.delete(accessGroupApprovers).where(eq(accessGroupApprovers.groupId, groupId));
  await tx.delete(accessGroupLevels).where(eq(accessGroupLevels.groupId, groupId));
  if (g.approvers.length) {
    await tx.insert(accessGroupApprovers).values(
      g.approvers.map((a) => {
        const p = person(a.objectGuid);
        return { groupId, userGuid: p.objectGuid, username: p.name, displayName: p.displayName, dn: p.dn, level: a.level };
      }),
    );
  }
  if (g.levels.length) await tx.insert(accessGroupLevels).values(g.levels.map((l) => ({ groupId, ...l })));
}

async function writeGroup(
  tx: Transaction,
  user: SessionUser,
  actor: AuditActor,
  doc: ConfigDocument,
  ctx: ImportContext,
  c: ObjectChange,
  ids: Map<string, string>,
) {
  const g = doc.accessGroups.find((x) => x.name === c.key)!;
  const [before] = c.change === "added" ? [] : await tx.select().from(accessGroups).where(eq(accessGroups.name, c.key)).for("update");
  // A webhook keeps its id (and so its signing secret) under the same name.
  const savedIds = new Map(notificationSettingsSchema.parse(before?.notifications ?? {}).webhooks.map((w) => [w.name, w.id]));
  const notifications = notificationSettingsSchema.parse({
    ...g.notifications,
    webhooks: g.notifications.webhooks.map((w) => ({ ...w, id: savedIds.get(w.name) ?? randomUUID(), url: ctx.webhookUrls.get(webhookRef(g.name, w.name))! })),
  });
  const { privileges: sessionPrivileges, ...sessionRest } = g.sessions;
  const values = {
    name: g.name,
    description: g.description,
    enabled: g.enabled,
    timeZone: g.timeZone,
    settings: g.settings,
    criteria: g.criteria,
    limits: g.limits,
    locations: g.locations,
    notifications,
    sessions: { ...sessionRest, privilegeIds: sessionPrivileges.map((n) => ids.get(n)!) },
  };
  const [row] = before
    ? await tx
        .update(accessGroups)
        .set({ ...values, version: sql`${accessGroups.version} + 1`, updatedAt: new Date() })
        .where(eq(accessGroups.id, before.id))
        .returning({ id: accessGroups.id })
    : await tx
        .insert(accessGroups)
        .values({ ...values, createdBy: user.id || null })
        .returning({ id: accessGroups.id });
  await writePeople(tx, user, ctx, row!.id, g);
  const issued = await syncWebhookSecrets(tx, actor, row!.id, notifications.webhooks);
  return { id: row!.id, issued: issued.map((s) => ({ ...s, accessGroup: g.name })) };
}

async function removeObject(tx: Transaction, c: ObjectChange): Promise<string | null> {
  if (c.kind === "accessGroup") return (await tx.delete(accessGroups).where(eq(accessGroups.name, c.key)).returning({ id: accessGroups.id }))[0]?.id ?? null;
  if (c.kind === "privilegeSet")
    return (await tx.delete(privilegeSets).where(eq(privilegeSets.name, c.key)).returning({ id: privilegeSets.id }))[0]?.id ?? null;
  return (
    (
      await tx
        .delete(privileges)
        .where(eq(lowerGuid(privileges.groupGuid), c.key))
        .returning({ id: privileges.id })
    )[0]?.id ?? null
  );
}

/**
 * Webhook URLs can carry tokens in their path or query (a generic webhook's `?token=…`; a Slack or
 * Teams URL is all secret): the trail — which goes to the SIEM — keeps only their origin, as the
 * access group's own audit does.
 */
export function redactUrls(value: unknown): unknown {
  if (typeof value === "string") {
    if (!/^https?:\/\//i.test(value)) return value;
    try {
      const u = new URL(value);
      return u.pathname === "/" && !u.search ? u.origin : `${u.origin}/…`;
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) return value.map(redactUrls);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrls(v)]));
  return value;
}

function objectOf(doc: ConfigDocument, c: ObjectChange): Record<string, unknown> {
  if (c.kind === "privilege") return { ...doc.privileges.find((x) => privilegeKey(x) === c.key) };
  if (c.kind === "privilegeSet") return { ...doc.privilegeSets.find((x) => x.name === c.key) };
  if (c.kind === "accessGroup") return { ...doc.accessGroups.find((x) => x.name === c.key) };
  return { ...doc.directory.replication };
}

export async function applyChanges(
  tx: Transaction,
  user: SessionUser,
  actor: AuditActor,
  importId: string,
  current: ConfigDocument,
  doc: ConfigDocument,
  ctx: ImportContext,
  changes: readonly ObjectChange[],
): Promise<ApplyResult> {
  const events: AuditEvent[] = [];
  const issuedSecrets: ApplyResult["issuedSecrets"] = [];
  const audit = (c: ObjectChange, targetId: string | null) => {
    const data = { kind: c.kind, key: c.key, name: c.name, importId };
    const object = objectOf(c.change === "removed" ? current : doc, c);
    const action = c.change === "added" ? "config.object_added" : c.change === "removed" ? "config.object_removed" : "config.object_changed";
    const detail = redactUrls(c.change === "changed" ? { fields: c.fields } : { object }) as Record<string, unknown>;
    events.push({ action, targetType: TARGET[c.kind], targetId, data: { ...data, ...detail } });
  };
  for (const c of changes.filter((x) => x.kind === "directory")) {
    const r = doc.directory.replication;
    const values = {
      replicationMode: r.mode,
      replicationLatencySeconds: r.latencySeconds,
      replicationMaxWaitSeconds: r.maxWaitSeconds,
      replicationDcUrls: r.dcUrls,
    };
    await tx
      .insert(directorySettings)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: directorySettings.id, set: values });
    audit(c, null);
  }
  const upserts = changes.filter((x) => x.change !== "removed");
  for (const c of upserts.filter((x) => x.kind === "privilege")) audit(c, await writePrivilege(tx, user, doc, ctx, c));
  const ids = await privilegeIds(tx);
  for (const c of upserts.filter((x) => x.kind === "privilegeSet")) audit(c, await writeSet(tx, user, doc, ctx, c, ids));
  for (const c of upserts.filter((x) => x.kind === "accessGroup")) {
    const written = await writeGroup(tx, user, actor, doc, ctx, c, ids);
    issuedSecrets.push(...written.issued);
    audit(c, written.id);
  }
  for (const kind of ["accessGroup", "privilegeSet", "privilege"] as const) {
    for (const c of changes.filter((x) => x.change === "removed" && x.kind === kind)) audit(c, await removeObject(tx, c));
  }
  return { events, issuedSecrets };
}
