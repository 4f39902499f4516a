import "server-only";
import { and, asc, count, eq, gt, inArray, sql } from "drizzle-orm";
import { db, type Executor, type Transaction } from "@/db";
import { accessGroupApprovers, accessGroupLevels, accessGroupMembers, accessGroups, privileges } from "@/db/schema";
import { sessionSettingsSchema } from "@/shared/sessions/settings-schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { getPrincipal } from "@/server/directory/principals";
import { conflict, invalid, notFound } from "@/server/errors";
import { accessGroupPolicySchema, criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema, type AccessGroupPolicy } from "./policy/schemas";
import type { z } from "zod";
import { notificationSettingsSchema } from "@/server/notifications/schemas";
import { notificationsSaveInput } from "@/server/notifications/webhook-targets";
import { syncWebhookSecrets, type IssuedSecret } from "@/server/notifications/webhook-secrets";
import {
  approversInput,
  createGroupInput,
  criteriaInput,
  limitsInput,
  locationsInput,
  notificationsInput,
  sessionsInput,
  settingsInput,
  type ApproversInput,
  type CreateGroupInput,
  type CriteriaInput,
  type LimitsInput,
  type LocationsInput,
  type NotificationsInput,
  type SessionsInput,
  type SettingsInput,
} from "./schemas";

export type AccessGroupRow = typeof accessGroups.$inferSelect;
type Tab = "settings" | "criteria" | "approvers" | "limits" | "locations" | "notifications" | "sessions";

/** The engine's view of a row; the jsonb parts go through their schemas so defaults fill in. */
export function toPolicy(row: AccessGroupRow): AccessGroupPolicy {
  return accessGroupPolicySchema.parse({
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    timeZone: row.timeZone,
    settings: row.settings,
    criteria: row.criteria,
    limits: row.limits,
    locations: row.locations,
  });
}

function snapshot(row: AccessGroupRow, tab: Tab | "all") {
  const settings = { name: row.name, description: row.description, enabled: row.enabled, timeZone: row.timeZone, settings: row.settings };
  switch (tab) {
    case "settings":
      return settings;
    case "criteria":
      return { criteria: row.criteria };
    case "limits":
      return { limits: row.limits, timeZone: row.timeZone };
    case "locations":
      return { locations: row.locations };
    case "approvers":
      return {};
    case "notifications":
      return { notifications: maskNotifications(row.notifications) };
    case "sessions":
      return { sessions: sessionSettingsSchema.parse(row.sessions ?? {}) };
    case "all":
      return { ...settings, criteria: row.criteria, limits: row.limits, locations: row.locations };
  }
}

function conflictOnDuplicateName(err: unknown): never {
  const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
  if (cause?.code === "23505") throw conflict("An access group with this name exists already.");
  throw err;
}

async function lockGroup(tx: Transaction, id: string, expectedVersion?: number): Promise<AccessGroupRow> {
  const [row] = await tx.select().from(accessGroups).where(eq(accessGroups.id, id)).for("update");
  if (!row) throw notFound("This access group no longer exists.");
  if (expectedVersion !== undefined && row.version !== expectedVersion) {
    throw conflict("Someone else changed this access group since you opened it. Reload to see their change, then apply yours again.");
  }
  return row;
}

async function saveTab(
  user: SessionUser,
  actor: AuditActor,
  tab: Tab,
  id: string,
  expectedVersion: number,
  change: Partial<typeof accessGroups.$inferInsert>,
  /** More writes that belong to the same change, in its transaction. */
  alongside?: (tx: Transaction) => Promise<void>,
): Promise<AccessGroupRow> {
  assertCan(user, "manage", "AccessGroup");
  return db
    .transaction(async (tx) => {
      const before = await lockGroup(tx, id, expectedVersion);
      const [after] = await tx
        .update(accessGroups)
        .set({ ...change, version: sql`${accessGroups.version} + 1`, updatedAt: new Date() })
        .where(eq(accessGroups.id, id))
        .returning();
      await recordAudit(tx, actor, [
        {
          action: "access_group.updated",
          targetType: "access_group",
          targetId: id,
          data: { tab, before: snapshot(before, tab), after: snapshot(after!, tab) },
        },
      ]);
      if (alongside) await alongside(tx);
      return after!;
    })
    .catch(conflictOnDuplicateName);
}

export async function listAccessGroups(user: SessionUser) {
  assertCan(user, "read", "AccessGroup");
  const rows = await db.select().from(accessGroups).orderBy(asc(accessGroups.name));
  const members = await db
    .select({ groupId: accessGroupMembers.groupId, kind: accessGroupMembers.kind, n: count() })
    .from(accessGroupMembers)
    .groupBy(accessGroupMembers.groupId, accessGroupMembers.kind);
  const approvers = await db.select({ groupId: accessGroupApprovers.groupId, n: count() }).from(accessGroupApprovers).groupBy(accessGroupApprovers.groupId);
  return rows.map((row) => ({
    ...row,
    users: members.find((m) => m.groupId === row.id && m.kind === "user")?.n ?? 0,
    directoryGroups: members.find((m) => m.groupId === row.id && m.kind === "group")?.n ?? 0,
    approvers: approvers.find((a) => a.groupId === row.id)?.n ?? 0,
  }));
}

export async function getAccessGroup(user: SessionUser, id: string): Promise<AccessGroupRow> {
  assertCan(user, "read", "AccessGroup");
  const [row] = await db.select().from(accessGroups).where(eq(accessGroups.id, id));
  if (!row) throw notFound("This access group no longer exists.");
  return row;
}

export async function createAccessGroup(user: SessionUser, actor: AuditActor, raw: z.input<typeof createGroupInput>): Promise<AccessGroupRow> {
  assertCan(user, "manage", "AccessGroup");
  // Parsed again: scripts and tests call services without tRPC.
  const input: CreateGroupInput = createGroupInput.parse(raw);
  return db
    .transaction(async (tx) => {
      const [row] = await tx
        .insert(accessGroups)
        .values({
          name: input.name,
          description: input.description,
          timeZone: input.timeZone,
          // A new group has no members yet, so enabling it opens nothing until users are added.
          enabled: true,
          settings: groupSettingsSchema.parse({}),
          criteria: criteriaSchema.parse({}),
          limits: limitsSchema.parse({}),
          locations: locationPolicySchema.parse({}),
          createdBy: user.id,
        })
        .returning();
      await recordAudit(tx, actor, [{ action: "access_group.created", targetType: "access_group", targetId: row!.id, data: { after: snapshot(row!, "all") } }]);
      return row!;
    })
    .catch(conflictOnDuplicateName);
}

export async function deleteAccessGroup(user: SessionUser, actor: AuditActor, id: string): Promise<void> {
  assertCan(user, "manage", "AccessGroup");
  await db.transaction(async (tx) => {
    const before = await lockGroup(tx, id);
    const members = await tx
      .select({ kind: accessGroupMembers.kind, name: accessGroupMembers.name })
      .from(accessGroupMembers)
      .where(eq(accessGroupMembers.groupId, id));
    // Requests bound to the group keep its frozen policy; their link is set to null by the FK.
    await tx.delete(accessGroups).where(eq(accessGroups.id, id));
    await recordAudit(tx, actor, [
      {
        action: "access_group.deleted",
        targetType: "access_group",
        targetId: id,
        data: { before: { ...snapshot(before, "all"), members: members.map((m) => `${m.kind}:${m.name}`) } },
      },
    ]);
  });
}

export async function updateSettings(user: SessionUser, actor: AuditActor, raw: z.input<typeof settingsInput>) {
  assertCan(user, "manage", "AccessGroup");
  const input: SettingsInput = settingsInput.parse(raw);
  if (!input.settings.approvalInLevels) {
    // Turning levels off must not leave approvers on level 2+ that the approvers tab would refuse.
    const [deep] = await db
      .select({ username: accessGroupApprovers.username, level: accessGroupApprovers.level })
      .from(accessGroupApprovers)
      .where(and(eq(accessGroupApprovers.groupId, input.id), gt(accessGroupApprovers.level, 1)));
    if (deep) {
      throw invalid(
        `Approvers are on level ${deep.level} (e.g. ${deep.username}): move every approver to level 1 on the Approvers tab before turning approval in levels off.`,
      );
    }
  }
  return saveTab(user, actor, "settings", input.id, input.version, {
    name: input.name,
    description: input.description,
    enabled: input.enabled,
    timeZone: input.timeZone,
    settings: input.settings,
  });
}

export function updateCriteria(user: SessionUser, actor: AuditActor, raw: z.input<typeof criteriaInput>) {
  const input: CriteriaInput = criteriaInput.parse(raw);
  return saveTab(user, actor, "criteria", input.id, input.version, { criteria: input.criteria });
}

export function updateLimits(user: SessionUser, actor: AuditActor, raw: z.input<typeof limitsInput>) {
  const input: LimitsInput = limitsInput.parse(raw);
  return saveTab(user, actor, "limits", input.id, input.version, { limits: input.limits });
}

/** Webhook URLs of Slack and Teams carry their secret in the path: the trail keeps only the origin. */
function maskNotifications(raw: unknown) {
  const n = notificationSettingsSchema.parse(raw ?? {});
  return { ...n, webhooks: n.webhooks.map((w) => ({ ...w, url: `${new URL(w.url).origin}/…` })) };
}

export function notificationSettingsOf(row: AccessGroupRow) {
  return notificationSettingsSchema.parse(row.notifications ?? {});
}

/** Webhook URLs pass the egress rule; each new webhook gets a signing secret, returned this once. */
export async function updateNotifications(user: SessionUser, actor: AuditActor, raw: z.input<typeof notificationsInput>) {
  const input: NotificationsInput = notificationsSaveInput.parse(raw);
  let issuedSecrets: IssuedSecret[] = [];
  const row = await saveTab(user, actor, "notifications", input.id, input.version, { notifications: input.notifications }, async (tx) => {
    issuedSecrets = await syncWebhookSecrets(tx, actor, input.id, input.notifications.webhooks);
  });
  return { ...row, issuedSecrets };
}

/** Sessions tab: the privileges a session adds must be published ones. */
export async function updateSessions(user: SessionUser, actor: AuditActor, raw: z.input<typeof sessionsInput>) {
  assertCan(user, "manage", "AccessGroup");
  const input: SessionsInput = sessionsInput.parse(raw);
  const ids = [...new Set(input.sessions.privilegeIds)];
  const published = ids.length ? await db.select({ id: privileges.id }).from(privileges).where(inArray(privileges.id, ids)) : [];
  if (published.length !== ids.length) throw invalid("A session privilege is not published (anymore): pick published privileges only.", "privilegeIds");
  if (input.sessions.enabled && !ids.length) throw invalid("Pick at least one privilege for sessions to add to the account.", "privilegeIds");
  return saveTab(user, actor, "sessions", input.id, input.version, { sessions: { ...input.sessions, privilegeIds: ids } });
}

export function sessionSettingsOf(row: AccessGroupRow) {
  return sessionSettingsSchema.parse(row.sessions ?? {});
}

export function updateLocations(user: SessionUser, actor: AuditActor, raw: z.input<typeof locationsInput>) {
  const input: LocationsInput = locationsInput.parse(raw);
  return saveTab(user, actor, "locations", input.id, input.version, { locations: input.locations });
}

export async function readApprovers(executor: Executor, groupId: string) {
  const approvers = await executor
    .select()
    .from(accessGroupApprovers)
    .where(eq(accessGroupApprovers.groupId, groupId))
    .orderBy(asc(accessGroupApprovers.level), asc(accessGroupApprovers.username));
  const levels = await executor.select().from(accessGroupLevels).where(eq(accessGroupLevels.groupId, groupId)).orderBy(asc(accessGroupLevels.level));
  const used = [...new Set(approvers.map((a) => a.level))].sort((a, b) => a - b);
  // A level without its own row needs one approval.
  return {
    approvers,
    levels: used.map((level) => ({ level, requiredApprovals: levels.find((l) => l.level === level)?.requiredApprovals ?? 1 })),
  };
}

export async function getApprovers(user: SessionUser, groupId: string) {
  assertCan(user, "read", "AccessGroup");
  return readApprovers(db, groupId);
}

function describeApprovers(state: Awaited<ReturnType<typeof readApprovers>>) {
  return {
    levels: state.levels,
    approvers: state.approvers.map((a) => ({ username: a.username, level: a.level })),
  };
}

/**
 * Replaces the approvers and level requirements as a whole (the tab is one form). Approvers are
 * read from AD by GUID; one level only unless the group approves in levels.
 */
export async function updateApprovers(user: SessionUser, actor: AuditActor, raw: z.input<typeof approversInput>) {
  assertCan(user, "manage", "AccessGroup");
  const input: ApproversInput = approversInput.parse(raw);
  const people = await Promise.all(input.approvers.map((a) => getPrincipal(a.userGuid)));
  people.forEach((p, i) => {
    if (!p || p.kind !== "user") throw invalid(`Approver ${i + 1} is not a user in the directory (anymore).`);
    if (p.disabled) throw invalid(`${p.name} is disabled in the directory and cannot approve.`);
  });
  return db.transaction(async (tx) => {
    const group = await lockGroup(tx, input.id, input.version);
    const settings = groupSettingsSchema.parse(group.settings);
    if (!settings.approvalInLevels && input.approvers.some((a) => a.level > 1)) {
      throw invalid("This group does not approve in levels: put every approver on level 1, or turn on approval in levels in Settings.");
    }
    const before = await readApprovers(tx, group.id);
    await tx.delete(accessGroupApprovers).where(eq(accessGroupApprovers.groupId, group.id));
    await tx.delete(accessGroupLevels).where(eq(accessGroupLevels.groupId, group.id));
    if (input.approvers.length) {
      await tx.insert(accessGroupApprovers).values(
        input.approvers.map((a, i) => ({
          groupId: group.id,
          userGuid: people[i]!.objectGuid,
          username: people[i]!.name,
          displayName: people[i]!.displayName,
          dn: people[i]!.dn,
          level: a.level,
        })),
      );
    }
    if (input.levels.length) await tx.insert(accessGroupLevels).values(input.levels.map((l) => ({ groupId: group.id, ...l })));
    await tx
      .update(accessGroups)
      .set({ version: sql`${accessGroups.version} + 1`, updatedAt: new Date() })
      .where(eq(accessGroups.id, group.id));
    const after = await readApprovers(tx, group.id);
    await recordAudit(tx, actor, [
      {
        action: "access_group.updated",
        targetType: "access_group",
        targetId: group.id,
        data: { tab: "approvers", before: describeApprovers(before), after: describeApprovers(after) },
      },
    ]);
    return after;
  });
}
