import "server-only";
import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroupActivations, accessGroupMembers, accessGroups } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { getPrincipal, nestedUsers, searchPrincipals, tokenGroupSids, type PrincipalKind } from "@/server/directory/principals";
import { conflict, invalid, notFound } from "@/server/errors";
import { groupSettingsSchema } from "./policy/schemas";
import { toPolicy, type AccessGroupRow } from "./service";

/*
 * The users tab: people and AD groups in an access group, and whether each person may use it.
 *
 * A person belongs to an access group when they are listed themselves or are in a listed AD group
 * at any depth of nesting (read from the DC at request time, so AD changes count at once).
 * Belonging is not enough: the first time Interim sees a new member ("provisioning") it records
 * them as active when the group grants access automatically, otherwise as pending until an admin
 * activates them. An admin may also suspend a member without touching AD.
 */

export type ActivationState = "active" | "pending" | "suspended";

/** Users or groups in the directory; with `groupId`, each marked when it is already a member there (the list is paged, so the form cannot tell). */
export async function searchDirectory(user: SessionUser, kind: PrincipalKind, query: string, groupId?: string) {
  assertCan(user, "manage", "AccessGroup");
  const found = await searchPrincipals(kind, query, 20);
  if (!groupId || found.length === 0) return found.map((p) => ({ ...p, member: false }));
  const listed = await db
    .select({ guid: sql<string>`lower(${accessGroupMembers.objectGuid})` })
    .from(accessGroupMembers)
    .where(
      and(
        eq(accessGroupMembers.groupId, groupId),
        inArray(
          sql`lower(${accessGroupMembers.objectGuid})`,
          found.map((p) => p.objectGuid.toLowerCase()),
        ),
      ),
    );
  const members = new Set(listed.map((r) => r.guid));
  return found.map((p) => ({ ...p, member: members.has(p.objectGuid.toLowerCase()) }));
}

export async function groupRow(id: string): Promise<AccessGroupRow> {
  const [row] = await db.select().from(accessGroups).where(eq(accessGroups.id, id));
  if (!row) throw notFound("This access group no longer exists.");
  return row;
}

/** Members with, for people, their activation; for AD groups, their nested people and each one's activation. */
export async function listMembers(user: SessionUser, groupId: string) {
  assertCan(user, "read", "AccessGroup");
  const group = await groupRow(groupId);
  const members = await db
    .select()
    .from(accessGroupMembers)
    .where(eq(accessGroupMembers.groupId, groupId))
    .orderBy(asc(accessGroupMembers.kind), asc(accessGroupMembers.name));
  return withActivations(group, members);
}

/**
 * `members` (rows of one group) with their activations, AD groups with their nested people: what
 * the users tab shows. The activations read are those of the people shown, not the group's all.
 */
export async function withActivations(group: AccessGroupRow, members: (typeof accessGroupMembers.$inferSelect)[]) {
  const autoGrant = groupSettingsSchema.parse(group.settings).autoGrantOnProvisioning;
  const nestedOf = new Map(
    await Promise.all(
      members.filter((m) => m.kind === "group").map(async (m) => [m.id, await nestedUsers({ dn: m.dn, objectSid: m.objectSid }, 200)] as const),
    ),
  );
  const guids = [...new Set([...members.map((m) => m.objectGuid), ...[...nestedOf.values()].flatMap((n) => n.users.map((u) => u.objectGuid))])];
  const activations = guids.length
    ? await db
        .select()
        .from(accessGroupActivations)
        .where(
          and(
            eq(accessGroupActivations.groupId, group.id),
            inArray(
              sql`lower(${accessGroupActivations.userGuid})`,
              guids.map((g) => g.toLowerCase()),
            ),
          ),
        )
    : [];
  const byGuid = new Map(activations.map((a) => [a.userGuid.toLowerCase(), a]));
  // Someone Interim has not seen yet gets the state they would get on first sight.
  const stateOf = (guid: string) => {
    const a = byGuid.get(guid.toLowerCase());
    return {
      state: (a?.state ?? (autoGrant ? "active" : "pending")) as ActivationState,
      seen: Boolean(a),
      decidedAt: a?.decidedAt ?? null,
      source: a?.source ?? null,
    };
  };
  const entries = members.map((m) => {
    const nested = nestedOf.get(m.id);
    if (m.kind === "user" || !nested) return { ...m, activation: stateOf(m.objectGuid), nested: null };
    return {
      ...m,
      activation: null,
      nested: {
        truncated: nested.truncated,
        users: nested.users.map((u) => ({
          objectGuid: u.objectGuid,
          name: u.name,
          displayName: u.displayName,
          disabled: u.disabled,
          activation: stateOf(u.objectGuid),
        })),
      },
    };
  });
  return { autoGrant, members: entries };
}

export async function addMember(user: SessionUser, actor: AuditActor, groupId: string, objectGuid: string) {
  assertCan(user, "manage", "AccessGroup");
  // The directory says what this GUID is; the form only picks it.
  const principal = await getPrincipal(objectGuid);
  if (!principal) throw notFound("That user or group no longer exists in the directory.");
  if (principal.kind === "group" && !principal.securityGroup) {
    // Membership is read from people's tokenGroups, which hold security groups only.
    throw invalid(`${principal.name} is a distribution group; only security groups can make people members of an access group.`);
  }
  return db.transaction(async (tx) => {
    const [group] = await tx.select().from(accessGroups).where(eq(accessGroups.id, groupId)).for("update");
    if (!group) throw notFound("This access group no longer exists.");
    const [row] = await tx
      .insert(accessGroupMembers)
      .values({
        groupId,
        kind: principal.kind,
        objectGuid: principal.objectGuid,
        objectSid: principal.objectSid,
        dn: principal.dn,
        name: principal.name,
        displayName: principal.displayName,
        addedBy: user.id,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) throw conflict(`${principal.name} is already in this access group.`);
    await recordAudit(tx, actor, [
      {
        action: "access_group.member_added",
        targetType: "access_group",
        targetId: groupId,
        data: { group: group.name, kind: principal.kind, name: principal.name, dn: principal.dn, objectGuid: principal.objectGuid },
      },
    ]);
    return row;
  });
}

export async function removeMember(user: SessionUser, actor: AuditActor, groupId: string, memberId: string) {
  assertCan(user, "manage", "AccessGroup");
  await db.transaction(async (tx) => {
    const [group] = await tx.select().from(accessGroups).where(eq(accessGroups.id, groupId)).for("update");
    if (!group) throw notFound("This access group no longer exists.");
    const [row] = await tx
      .delete(accessGroupMembers)
      .where(and(eq(accessGroupMembers.groupId, groupId), eq(accessGroupMembers.id, memberId)))
      .returning();
    if (!row) throw notFound("This member was already removed.");
    await recordAudit(tx, actor, [
      {
        action: "access_group.member_removed",
        targetType: "access_group",
        targetId: groupId,
        data: { group: group.name, kind: row.kind, name: row.name, dn: row.dn, objectGuid: row.objectGuid },
      },
    ]);
  });
}

/** An admin activates a waiting member or suspends one. */
export async function setActivation(user: SessionUser, actor: AuditActor, groupId: string, userGuid: string, state: "active" | "suspended") {
  assertCan(user, "manage", "AccessGroup");
  const person = await getPrincipal(userGuid);
  if (!person || person.kind !== "user") throw notFound("That user no longer exists in the directory.");
  return db.transaction(async (tx) => {
    const [group] = await tx.select().from(accessGroups).where(eq(accessGroups.id, groupId)).for("update");
    if (!group) throw notFound("This access group no longer exists.");
    const [before] = await tx
      .select({ state: accessGroupActivations.state })
      .from(accessGroupActivations)
      .where(and(eq(accessGroupActivations.groupId, groupId), eq(accessGroupActivations.userGuid, person.objectGuid)));
    const now = new Date();
    await tx
      .insert(accessGroupActivations)
      .values({
        groupId,
        userGuid: person.objectGuid,
        username: person.name,
        displayName: person.displayName,
        state,
        source: "admin",
        decidedBy: user.id,
        decidedAt: now,
      })
      .onConflictDoUpdate({
        target: [accessGroupActivations.groupId, accessGroupActivations.userGuid],
        set: { state, source: "admin", decidedBy: user.id, decidedAt: now, username: person.name, displayName: person.displayName },
      });
    await recordAudit(tx, actor, [
      {
        action: "access_group.activation_changed",
        targetType: "access_group",
        targetId: groupId,
        data: { group: group.name, username: person.name, userGuid: person.objectGuid, before: before?.state ?? null, after: state, source: "admin" },
      },
    ]);
    return { state };
  });
}

export interface Membership {
  group: AccessGroupRow;
  state: ActivationState;
  /** How the person belongs: their own entry and/or the AD groups listing them. */
  via: string[];
}

/**
 * The access groups a person belongs to, with their activation. First sight of a member is
 * recorded (active or pending, per the group's setting) and audited, once.
 */
export async function membershipsOf(person: { objectGuid: string; username: string; displayName: string }): Promise<Membership[]> {
  const guid = person.objectGuid.toLowerCase();
  // The person's own entries and every AD-group entry (matched against their tokenGroups below).
  const members = await db
    .select()
    .from(accessGroupMembers)
    .where(or(eq(accessGroupMembers.kind, "group"), sql`lower(${accessGroupMembers.objectGuid}) = ${guid}`));
  if (members.length === 0) return [];
  const needsSids = members.some((m) => m.kind === "group");
  const sids = new Set(needsSids ? (await tokenGroupSids(person.objectGuid)).map((s) => s.toUpperCase()) : []);
  const via = new Map<string, string[]>();
  for (const m of members) {
    const hit = m.kind === "user" ? m.objectGuid.toLowerCase() === guid : m.objectSid !== null && sids.has(m.objectSid.toUpperCase());
    if (hit) via.set(m.groupId, [...(via.get(m.groupId) ?? []), m.kind === "user" ? "listed" : m.name]);
  }
  if (via.size === 0) return [];
  const ids = [...via.keys()];
  const groups = await db.select().from(accessGroups).where(inArray(accessGroups.id, ids)).orderBy(asc(accessGroups.name));
  const known = await db
    .select()
    .from(accessGroupActivations)
    .where(and(inArray(accessGroupActivations.groupId, ids), sql`lower(${accessGroupActivations.userGuid}) = ${guid}`));
  const unseen = groups.filter((g) => !known.some((k) => k.groupId === g.id));
  if (unseen.length) await recordFirstSight(person, unseen);
  const activations = unseen.length
    ? await db
        .select()
        .from(accessGroupActivations)
        .where(and(inArray(accessGroupActivations.groupId, ids), sql`lower(${accessGroupActivations.userGuid}) = ${guid}`))
    : known;
  return groups.map((group) => ({
    group,
    state: (activations.find((a) => a.groupId === group.id)?.state ?? "pending") as ActivationState,
    via: via.get(group.id) ?? [],
  }));
}

async function recordFirstSight(person: { objectGuid: string; username: string; displayName: string }, groups: AccessGroupRow[]) {
  await db.transaction(async (tx) => {
    for (const group of groups) {
      const state = toPolicy(group).settings.autoGrantOnProvisioning ? "active" : "pending";
      const [row] = await tx
        .insert(accessGroupActivations)
        .values({
          groupId: group.id,
          userGuid: person.objectGuid,
          username: person.username,
          displayName: person.displayName,
          state,
          source: state === "active" ? "auto" : "provisioned",
        })
        .onConflictDoNothing()
        .returning();
      // Two tabs loading at once: only the one that inserted audits it.
      if (!row) continue;
      await recordAudit(tx, SYSTEM_ACTOR, [
        {
          action: "access_group.activation_changed",
          targetType: "access_group",
          targetId: group.id,
          data: { group: group.name, username: person.username, userGuid: person.objectGuid, before: null, after: state, source: row.source },
        },
      ]);
    }
  });
}
