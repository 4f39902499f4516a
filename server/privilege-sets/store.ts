import "server-only";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Executor } from "@/db";
import { catalogCredentials, privilegeSetAccounts, privilegeSetItems, privilegeSets, privileges } from "@/db/schema";

export type PrivilegeSetRow = typeof privilegeSets.$inferSelect;
type PrivilegeRow = typeof privileges.$inferSelect;
type CredentialRow = typeof catalogCredentials.$inferSelect;

/** A set with its privileges (by name: the first is what requests.privilege_id points at) and accounts (by username). */
export interface LoadedSet extends PrivilegeSetRow {
  privileges: PrivilegeRow[];
  accounts: CredentialRow[];
}

/** Sets with their privileges and accounts, by name; `ids` narrows them, `enabledOnly` drops disabled sets. */
export async function loadSets(executor: Executor, opts: { ids?: string[]; enabledOnly?: boolean } = {}): Promise<LoadedSet[]> {
  if (opts.ids?.length === 0) return [];
  const sets = await executor
    .select()
    .from(privilegeSets)
    .where(and(opts.ids ? inArray(privilegeSets.id, opts.ids) : undefined, opts.enabledOnly ? eq(privilegeSets.enabled, true) : undefined))
    .orderBy(asc(privilegeSets.name));
  if (sets.length === 0) return [];
  const ids = sets.map((s) => s.id);
  const items = await executor
    .select({ setId: privilegeSetItems.setId, privilege: privileges })
    .from(privilegeSetItems)
    .innerJoin(privileges, eq(privileges.id, privilegeSetItems.privilegeId))
    .where(inArray(privilegeSetItems.setId, ids))
    .orderBy(asc(privileges.name), asc(privileges.id));
  const accounts = await executor
    .select({ setId: privilegeSetAccounts.setId, credential: catalogCredentials })
    .from(privilegeSetAccounts)
    .innerJoin(catalogCredentials, eq(catalogCredentials.id, privilegeSetAccounts.credentialId))
    .where(inArray(privilegeSetAccounts.setId, ids))
    .orderBy(asc(catalogCredentials.username), asc(catalogCredentials.id));
  return sets.map((s) => ({
    ...s,
    privileges: items.filter((i) => i.setId === s.id).map((i) => i.privilege),
    accounts: accounts.filter((a) => a.setId === s.id).map((a) => a.credential),
  }));
}

export async function loadSet(executor: Executor, id: string): Promise<LoadedSet | null> {
  const [set] = await loadSets(executor, { ids: [id] });
  return set ?? null;
}
