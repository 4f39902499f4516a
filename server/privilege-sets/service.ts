import "server-only";
import { and, asc, eq, inArray, ne, or, sql } from "drizzle-orm";
import type { z } from "zod";
import { db, type Executor, type Transaction } from "@/db";
import { catalogCredentials, privilegeSetAccounts, privilegeSetItems, privilegeSets, privileges } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { conflict, invalid, notFound } from "@/server/errors";
import { containsPattern, matchesText, parsePage, toPage, totalOver } from "@/server/lists/paging";
import { setDurations } from "./eligibility";
import { createPrivilegeSetInput, privilegeSetPageInput, updatePrivilegeSetInput, type CreatePrivilegeSetInput, type PrivilegeSetPageInput } from "./schemas";
import { loadSet, loadSets, type LoadedSet } from "./store";

/*
 * Privilege sets, administered: admins bundle published privileges with the privileged accounts
 * allowed to use them. Sets are disabled, never deleted: requests keep pointing at them.
 */

function snapshot(set: LoadedSet) {
  return {
    name: set.name,
    description: set.description,
    enabled: set.enabled,
    allowOwnAccount: set.allowOwnAccount,
    privileges: set.privileges.map((p) => p.name),
    accounts: set.accounts.map((a) => a.username),
  };
}

/** Every set for the admin page, with its effective durations and what keeps it from being requested. */
export async function listPrivilegeSets(user: SessionUser) {
  assertCan(user, "manage", "Privilege");
  return (await loadSets(db)).map(adminView);
}

/** One page of sets by name, searched by name, description or a privilege's name, filtered by enabled (the admin list). */
export async function pagePrivilegeSets(user: SessionUser, raw: PrivilegeSetPageInput) {
  assertCan(user, "manage", "Privilege");
  const input = parsePage(privilegeSetPageInput, raw);
  const q = input.q.trim();
  const where = and(
    q
      ? or(
          matchesText(q, [privilegeSets.name, privilegeSets.description]),
          // Written out qualified: the set's row is the outer query's.
          sql`exists (select 1 from privilege_set_items i join privileges p on p.id = i.privilege_id where i.set_id = privilege_sets.id and p.name ilike ${containsPattern(q)})`,
        )
      : undefined,
    input.status ? eq(privilegeSets.enabled, input.status === "enabled") : undefined,
  );
  const rows = await db
    .select({ id: privilegeSets.id, total: totalOver })
    .from(privilegeSets)
    .where(where)
    .orderBy(asc(privilegeSets.name), asc(privilegeSets.id))
    .limit(input.limit)
    .offset(input.offset);
  const page = await toPage(rows, input, async () => (await db.$count(privilegeSets, where)) as number);
  const sets = await loadSets(db, { ids: page.items.map((r) => r.id) });
  return { ...page, items: sets.map(adminView) };
}

function adminView(set: LoadedSet) {
  return {
    id: set.id,
    name: set.name,
    description: set.description,
    enabled: set.enabled,
    allowOwnAccount: set.allowOwnAccount,
    privileges: set.privileges.map((p) => ({ id: p.id, name: p.name, enabled: p.enabled, groupDn: p.groupDn })),
    accounts: set.accounts.map((a) => ({ id: a.id, username: a.username, displayName: a.displayName, present: a.present })),
    ...(set.privileges.length ? setDurations(set.privileges) : { maxDurationMinutes: 0, defaultDurationMinutes: 0 }),
    /** Why requesters cannot use the set although it is enabled (a privilege disabled since, accounts gone). */
    problems: [
      ...set.privileges
        .filter((p) => !p.enabled)
        .map((p) => `"${p.name}" is disabled: the set cannot be requested until it is enabled again or removed from the set.`),
      ...set.accounts.filter((a) => !a.present).map((a) => `${a.username} is no longer in Active Directory.`),
    ],
  };
}

/** What the set form offers: published privileges and the catalog's directory accounts. */
export async function privilegeSetOptions(user: SessionUser) {
  assertCan(user, "manage", "Privilege");
  const [privilegeRows, accountRows] = await Promise.all([
    db
      .select({ id: privileges.id, name: privileges.name, enabled: privileges.enabled, maxDurationMinutes: privileges.maxDurationMinutes })
      .from(privileges)
      .orderBy(asc(privileges.name)),
    db
      .select({
        id: catalogCredentials.id,
        username: catalogCredentials.username,
        displayName: catalogCredentials.displayName,
        objectGuid: catalogCredentials.objectGuid,
      })
      .from(catalogCredentials)
      .where(eq(catalogCredentials.present, true))
      .orderBy(asc(catalogCredentials.username)),
  ]);
  return {
    privileges: privilegeRows,
    // Only directory accounts can be put into AD groups.
    accounts: accountRows.filter((a) => a.objectGuid !== null).map(({ objectGuid: _, ...a }) => a),
  };
}

/**
 * The privileges and accounts named by the input, checked: published and enabled, directory
 * accounts present. A set being disabled may keep a privilege that was disabled since.
 */
async function checkedMembers(tx: Transaction, input: Pick<CreatePrivilegeSetInput, "privilegeIds" | "credentialIds">, opts: { allowDisabled: boolean }) {
  const found = await tx.select().from(privileges).where(inArray(privileges.id, input.privilegeIds));
  if (found.length !== input.privilegeIds.length) throw notFound("A privilege of the set is not published (anymore).");
  const disabled = found.filter((p) => !p.enabled);
  if (disabled.length && !opts.allowDisabled) {
    throw invalid(
      `${disabled.map((p) => `"${p.name}"`).join(", ")} ${disabled.length === 1 ? "is" : "are"} disabled: enable ${disabled.length === 1 ? "it" : "them"} first or leave ${disabled.length === 1 ? "it" : "them"} out.`,
    );
  }
  if (input.credentialIds.length === 0) return;
  const accounts = await tx.select().from(catalogCredentials).where(inArray(catalogCredentials.id, input.credentialIds));
  if (accounts.length !== input.credentialIds.length) throw notFound("An account of the set is not in the catalog (anymore).");
  const unusable = accounts.filter((a) => (!a.present && !opts.allowDisabled) || a.objectGuid === null || a.dn === null);
  if (unusable.length) {
    throw invalid(`${unusable.map((a) => a.username).join(", ")}: only accounts that are in Active Directory can be added to AD groups.`);
  }
}

async function assertNameFree(tx: Transaction, name: string, exceptId?: string) {
  const [taken] = await tx
    .select({ id: privilegeSets.id })
    .from(privilegeSets)
    .where(and(eq(privilegeSets.name, name), exceptId ? ne(privilegeSets.id, exceptId) : undefined));
  if (taken) throw conflict(`A privilege set named "${name}" exists already.`);
}

async function writeMembers(tx: Transaction, setId: string, input: Pick<CreatePrivilegeSetInput, "privilegeIds" | "credentialIds">) {
  await tx.delete(privilegeSetItems).where(eq(privilegeSetItems.setId, setId));
  await tx.delete(privilegeSetAccounts).where(eq(privilegeSetAccounts.setId, setId));
  await tx.insert(privilegeSetItems).values(input.privilegeIds.map((privilegeId) => ({ setId, privilegeId })));
  if (input.credentialIds.length) await tx.insert(privilegeSetAccounts).values(input.credentialIds.map((credentialId) => ({ setId, credentialId })));
}

/** Unique violations from a race between the name check and the write. */
function conflictOnDuplicate(err: unknown): never {
  const cause = (err as { cause?: { code?: string } }).cause ?? (err as { code?: string });
  if (cause?.code === "23505") throw conflict("A privilege set with this name was just created by someone else.");
  throw err;
}

export async function createPrivilegeSet(user: SessionUser, actor: AuditActor, raw: z.input<typeof createPrivilegeSetInput>) {
  assertCan(user, "manage", "Privilege");
  // Parsed again: scripts and tests call services without tRPC.
  const input = createPrivilegeSetInput.parse(raw);
  return db
    .transaction(async (tx) => {
      await assertNameFree(tx, input.name);
      await checkedMembers(tx, input, { allowDisabled: false });
      const [row] = await tx
        .insert(privilegeSets)
        .values({ name: input.name, description: input.description, allowOwnAccount: input.allowOwnAccount, createdBy: user.id })
        .returning();
      await writeMembers(tx, row!.id, input);
      const created = (await loadSet(tx, row!.id))!;
      await recordAudit(tx, actor, [
        { action: "privilege_set.created", targetType: "privilege_set", targetId: created.id, data: { after: snapshot(created) } },
      ]);
      return { id: created.id, name: created.name };
    })
    .catch(conflictOnDuplicate);
}

/** Edits a set, or disables/enables it. Requests already made keep the privileges frozen on them. */
export async function updatePrivilegeSet(user: SessionUser, actor: AuditActor, raw: z.input<typeof updatePrivilegeSetInput>) {
  assertCan(user, "manage", "Privilege");
  const input = updatePrivilegeSetInput.parse(raw);
  return db
    .transaction(async (tx) => {
      const [locked] = await tx.select({ id: privilegeSets.id }).from(privilegeSets).where(eq(privilegeSets.id, input.id)).for("update");
      if (!locked) throw notFound("No such privilege set.");
      const before = (await loadSet(tx, input.id))!;
      await assertNameFree(tx, input.name, input.id);
      await checkedMembers(tx, input, { allowDisabled: !input.enabled });
      await tx
        .update(privilegeSets)
        .set({ name: input.name, description: input.description, allowOwnAccount: input.allowOwnAccount, enabled: input.enabled, updatedAt: new Date() })
        .where(eq(privilegeSets.id, input.id));
      await writeMembers(tx, input.id, input);
      const after = (await loadSet(tx, input.id))!;
      await recordAudit(tx, actor, [
        { action: "privilege_set.updated", targetType: "privilege_set", targetId: input.id, data: { before: snapshot(before), after: snapshot(after) } },
      ]);
      return { id: after.id, name: after.name };
    })
    .catch(conflictOnDuplicate);
}

/** A set a requester may ask for: enabled, with every privilege published and enabled. */
export async function requestableSet(id: string): Promise<LoadedSet> {
  const set = await loadSet(db, id);
  if (!set || !set.enabled || set.privileges.length === 0) throw notFound("This privilege set is not available for requests.");
  const disabled = set.privileges.filter((p) => !p.enabled);
  if (disabled.length) {
    throw notFound(`The privilege set "${set.name}" includes ${disabled.map((p) => `"${p.name}"`).join(", ")}, which cannot be requested now.`);
  }
  return set;
}

/** At the last approval: the set is still enabled and still allows the request's account. */
export async function assertSetStillGrantable(executor: Executor, setId: string, credentialId: string | null) {
  const set = await loadSet(executor, setId);
  if (!set?.enabled) throw conflict("The privilege set has been disabled; deny the request instead.");
  const allowed = credentialId === null ? set.allowOwnAccount : set.accounts.some((a) => a.id === credentialId);
  if (!allowed) throw conflict(`The privilege set "${set.name}" no longer allows this account; deny the request instead.`);
}
