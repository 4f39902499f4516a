import "server-only";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { db } from "@/db";
import { loadPerson, requesterAccess } from "@/server/access-groups/enforcement";
import { privileges } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { pamFeatureEnabled } from "@/server/directory/pam";
import { assertGroupMayBeGranted } from "@/server/directory/identity";
import { getGroupByGuid, searchGroups } from "@/server/directory/service";
import { PAM_OFF_EXPLANATION } from "@/server/directory/ttl";
import { TEMP_GROUPS_UNAVAILABLE, temporaryGroupsAvailable } from "@/server/directory/temporary-groups";
import { env } from "@/server/env";
import { conflict, invalid, notFound, unauthenticated } from "@/server/errors";
import type { z } from "zod";
import { matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { privilegePageInput, publishPrivilegeInput, updatePrivilegeInput, type GrantMechanism, type PrivilegePageInput } from "./schemas";

type Privilege = typeof privileges.$inferSelect;

function snapshot(p: Privilege) {
  return {
    name: p.name,
    description: p.description,
    groupDn: p.groupDn,
    maxDurationMinutes: p.maxDurationMinutes,
    defaultDurationMinutes: p.defaultDurationMinutes,
    allowExtension: p.allowExtension,
    maxTotalMinutes: p.maxTotalMinutes,
    mechanism: p.mechanism,
    enabled: p.enabled,
    tags: p.tags,
  };
}

function isWithin(dn: string, base: string): boolean {
  const d = dn.toLowerCase();
  const b = base.toLowerCase();
  return d === b || d.endsWith(`,${b}`);
}

/**
 * Only groups under LDAP_PRIVILEGE_BASE_DN can be published, and never one that would make its
 * members Interim admins or holders of the service account's rights — compared by
 * objectGUID/objectSid, nested at any depth (server/directory/identity.ts). Activation
 * checks the same again: AD can nest a published group into one of those later.
 */
export async function assertPublishable(group: { dn: string; objectGuid: string }) {
  const base = env.LDAP_PRIVILEGE_BASE_DN ?? env.LDAP_BASE_DN;
  if (!isWithin(group.dn, base)) {
    throw invalid(`Only groups under ${base} can be published (LDAP_PRIVILEGE_BASE_DN).`);
  }
  await assertGroupMayBeGranted(group.objectGuid);
}

/**
 * A TTL membership needs the forest's PAM feature (Samba rejects the value outright); temporary
 * groups need an OU to create them in. Refused here so that no privilege promises what the
 * directory cannot do.
 */
export async function assertMechanismAvailable(mechanism: GrantMechanism) {
  if (mechanism === "temporary-group" && !temporaryGroupsAvailable()) {
    throw invalid(`Temporary groups are not available. ${TEMP_GROUPS_UNAVAILABLE} Choose direct membership.`);
  }
  if (mechanism === "ttl" && !(await pamFeatureEnabled())) {
    throw invalid(`Membership with TTL is not available. ${PAM_OFF_EXPLANATION} Choose direct membership.`);
  }
}

/** Unique violations from a race between the checks above and the insert. */
function conflictOnDuplicate(err: unknown): never {
  const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
  if (cause?.code === "23505") throw conflict("This group or name was just published by someone else.");
  throw err;
}

/** Every published privilege with its group's identifiers: for admins only. */
export async function listPrivileges(user: SessionUser) {
  assertCan(user, "manage", "Privilege");
  return db.select().from(privileges).orderBy(asc(privileges.name));
}

export async function getPrivilege(user: SessionUser, id: string) {
  assertCan(user, "manage", "Privilege");
  const [row] = await db.select().from(privileges).where(eq(privileges.id, id));
  return row ?? null;
}

/** One page of published privileges, searched and filtered in the database: for admins only. */
export async function pagePrivileges(user: SessionUser, raw: PrivilegePageInput) {
  assertCan(user, "manage", "Privilege");
  const input = parsePage(privilegePageInput, raw);
  const where = and(
    matchesText(input.q, [privileges.name, privileges.description, privileges.groupDn, sql`array_to_string(${privileges.tags}, ' ')`]),
    input.status ? eq(privileges.enabled, input.status === "enabled") : undefined,
    input.mechanism ? eq(privileges.mechanism, input.mechanism) : undefined,
  );
  const rows = await db
    .select({ row: privileges, total: totalOver })
    .from(privileges)
    .where(where)
    .orderBy(asc(privileges.name), asc(privileges.id))
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(privileges, where)) as number);
  return { ...page, items: page.items.map((r) => r.row) };
}

/** What the signed-in person may request now (their access groups decide, as on the roles page). */
export async function requestablePrivileges(user: SessionUser, actor: AuditActor) {
  assertCan(user, "request", "Privilege");
  const person = await loadPerson(user.id);
  if (!person) throw unauthenticated("Sign in again.");
  const access = await requesterAccess(person, actor.ip);
  return access.privileges.map((p) => p.privilege);
}

/** Directory groups an admin may publish, marked when already published. */
export async function searchDirectoryGroups(user: SessionUser, query: string) {
  assertCan(user, "manage", "Privilege");
  const groups = await searchGroups(query);
  if (groups.length === 0) return [];
  // Only the groups found: with a thousand privileges, reading every GUID per keystroke is the slow part.
  const published = new Set(
    (
      await db
        .select({ guid: privileges.groupGuid })
        .from(privileges)
        .where(
          inArray(
            privileges.groupGuid,
            groups.map((g) => g.objectGuid),
          ),
        )
    ).map((r) => r.guid),
  );
  return groups.map((g) => ({ ...g, published: published.has(g.objectGuid) }));
}

export async function publishPrivilege(user: SessionUser, actor: AuditActor, raw: z.input<typeof publishPrivilegeInput>) {
  assertCan(user, "manage", "Privilege");
  // Parsed again: scripts and tests call services without tRPC.
  const input = publishPrivilegeInput.parse(raw);
  // The GUID survives renames and moves; the DN is re-read from the directory, never trusted from the form.
  const group = await getGroupByGuid(input.groupGuid);
  if (!group) throw notFound("That group no longer exists in the directory.");
  await assertPublishable(group);
  await assertMechanismAvailable(input.mechanism);
  return db
    .transaction(async (tx) => {
      const [dupe] = await tx
        .select({ id: privileges.id, name: privileges.name, groupGuid: privileges.groupGuid })
        .from(privileges)
        .where(eq(privileges.groupGuid, group.objectGuid));
      if (dupe) throw conflict(`This group is already published as "${dupe.name}".`);
      const [nameTaken] = await tx.select({ id: privileges.id }).from(privileges).where(eq(privileges.name, input.name));
      if (nameTaken) throw conflict(`A privilege named "${input.name}" exists already.`);
      const [row] = await tx
        .insert(privileges)
        .values({
          name: input.name,
          description: input.description,
          groupDn: group.dn,
          groupGuid: group.objectGuid,
          groupSid: group.objectSid,
          maxDurationMinutes: input.maxDurationMinutes,
          defaultDurationMinutes: input.defaultDurationMinutes,
          allowExtension: input.allowExtension,
          maxTotalMinutes: input.maxTotalMinutes,
          tags: input.tags,
          mechanism: input.mechanism,
          createdBy: user.id,
        })
        .returning();
      await recordAudit(tx, actor, [{ action: "privilege.published", targetType: "privilege", targetId: row!.id, data: { after: snapshot(row!) } }]);
      return row!;
    })
    .catch(conflictOnDuplicate);
}

export async function updatePrivilege(user: SessionUser, actor: AuditActor, raw: z.input<typeof updatePrivilegeInput>) {
  assertCan(user, "manage", "Privilege");
  const input = updatePrivilegeInput.parse(raw);
  // Changing the mechanism applies to grants made from now on: each grant keeps its own. Only a
  // change is checked, so editing a TTL privilege does not depend on the directory being reachable.
  const [current] = await db.select({ mechanism: privileges.mechanism }).from(privileges).where(eq(privileges.id, input.id));
  if (input.mechanism && input.mechanism !== current?.mechanism) await assertMechanismAvailable(input.mechanism);
  return db
    .transaction(async (tx) => {
      const [before] = await tx.select().from(privileges).where(eq(privileges.id, input.id)).for("update");
      if (!before) throw notFound("No such privilege.");
      if (input.name !== before.name) {
        const [nameTaken] = await tx.select({ id: privileges.id }).from(privileges).where(eq(privileges.name, input.name));
        if (nameTaken) throw conflict(`A privilege named "${input.name}" exists already.`);
      }
      const [after] = await tx
        .update(privileges)
        .set({
          name: input.name,
          description: input.description,
          maxDurationMinutes: input.maxDurationMinutes,
          defaultDurationMinutes: input.defaultDurationMinutes,
          allowExtension: input.allowExtension,
          maxTotalMinutes: input.maxTotalMinutes,
          tags: input.tags,
          mechanism: input.mechanism ?? before.mechanism,
          enabled: input.enabled,
          updatedAt: new Date(),
        })
        .where(eq(privileges.id, input.id))
        .returning();
      await recordAudit(tx, actor, [
        { action: "privilege.updated", targetType: "privilege", targetId: input.id, data: { before: snapshot(before), after: snapshot(after!) } },
      ]);
      return after!;
    })
    .catch(conflictOnDuplicate);
}
