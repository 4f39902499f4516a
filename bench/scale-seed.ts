/**
 * The roles page's scale seed (issue 15): `seedScale({ privileges: 1000, groups: 200, accounts: 5000 })`
 * writes, in the database only, that many published privileges (under fake DNs in the privilege OU:
 * the listing never reads them from the DC), access groups with members, approvers and activations,
 * catalog accounts, and puts the requester in every fifth group directly (so one person sees many
 * groups and most privileges). Rows are inserted in bulk, not through the services: publishing
 * checks each group on the DC, far too slow for a thousand. Idempotent per `prefix` (reruns replace).
 * Used by bench/scale.ts (BENCH_ONLY=scale), the Lighthouse phase and e2e/specs/roles-scale.spec.ts.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { accessGroupActivations, accessGroupApprovers, accessGroupLevels, accessGroupMembers, accessGroups, catalogCredentials, privileges } from "@/db/schema";
import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema } from "@/shared/access-groups/policy-schemas";

export interface ScaleOptions {
  privileges: number;
  groups: number;
  accounts: number;
  /** The person who requests: their AD objectGUID and name (they must have signed in once, or be seeded by the caller). */
  requester: { objectGuid: string; username: string; displayName: string; dn: string };
  /** Names start with this, so a rerun deletes and rewrites only its own rows. */
  prefix?: string;
  /** Distinct tags spread over the privileges. */
  tags?: number;
  privilegeBaseDn?: string;
}

export interface ScaleSeed {
  privilegeIds: string[];
  groupIds: string[];
  /** Groups the requester is a direct member of. */
  requesterGroups: number;
  tags: string[];
}

const CHUNK = 500;
async function insertChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}
const pad = (n: number, w: number) => String(n).padStart(w, "0");

const slugOf = (prefix: string) => prefix.toLowerCase().replace(/[^a-z0-9]+/g, "-");

/** Deletes what seedScale wrote under `prefix` (groups with their members, privileges, accounts). */
export async function unseedScale(prefix = "Scale") {
  const slug = slugOf(prefix);
  await db.transaction(async (tx) => {
    await tx.delete(accessGroups).where(sql`${accessGroups.name} like ${`${prefix} group %`}`);
    await tx.delete(privileges).where(sql`${privileges.name} like ${`${prefix} privilege %`}`);
    await tx.delete(catalogCredentials).where(sql`${catalogCredentials.username} like ${`${slug}-acct-%`}`);
  });
}

export async function seedScale(opts: ScaleOptions): Promise<ScaleSeed> {
  const prefix = opts.prefix ?? "Scale";
  const slug = slugOf(prefix);
  const tagCount = opts.tags ?? 20;
  const base = opts.privilegeBaseDn ?? process.env.LDAP_PRIVILEGE_BASE_DN ?? `OU=Privileges,OU=Interim,${process.env.LDAP_BASE_DN ?? "DC=interim,DC=test"}`;
  const tags = Array.from({ length: tagCount }, (_, i) => `${slug}-team-${pad(i, 2)}`);
  await unseedScale(prefix);

  const privilegeRows = Array.from({ length: opts.privileges }, (_, i) => ({
    id: randomUUID(),
    name: `${prefix} privilege ${pad(i, 4)}`,
    description: `Administers ${slug} system ${pad(i, 4)} (${i % 2 ? "production" : "staging"}).`,
    groupDn: `CN=${slug}-priv-${pad(i, 4)},${base}`,
    groupGuid: randomUUID(),
    tags: [tags[i % tagCount]!, i % 2 ? "prod" : "staging"],
    maxDurationMinutes: 240,
    defaultDurationMinutes: 60,
    allowExtension: i % 3 === 0,
  }));
  await insertChunks(privilegeRows, (chunk) => db.insert(privileges).values(chunk));

  const accountRows = Array.from({ length: opts.accounts }, (_, i) => ({
    username: `${slug}-acct-${pad(i, 4)}`,
    displayName: `${prefix} account ${pad(i, 4)}`,
    type: i % 10 === 0 ? "domain-admin" : "server-admin",
    tags: [tags[i % tagCount]!],
    source: "directory" as const,
    objectGuid: randomUUID(),
    dn: `CN=${slug}-acct-${pad(i, 4)},OU=Privileged Accounts,${process.env.LDAP_BASE_DN ?? "DC=interim,DC=test"}`,
  }));
  await insertChunks(accountRows, (chunk) => db.insert(catalogCredentials).values(chunk));

  // Group g selects the privileges of one tag (and, every tenth group, the accounts of that tag too);
  // consecutive groups share a tag, so the requester's groups (every fifth) cover every tag.
  const perTag = Math.max(1, Math.floor(opts.groups / tagCount));
  const groupRows = Array.from({ length: opts.groups }, (_, g) => {
    const tag = tags[Math.floor(g / perTag) % tagCount]!;
    return {
      id: randomUUID(),
      name: `${prefix} group ${pad(g, 3)}`,
      settings: groupSettingsSchema.parse({
        autoGrantOnProvisioning: true,
        requiresApproval: g % 4 === 0,
        requiresJustification: g % 2 === 0,
        allowsEmergencyAccess: g % 5 === 0,
      }),
      criteria: criteriaSchema.parse(g % 10 === 0 ? { privilegeTags: [tag], credentialTags: [tag] } : { privilegeTags: [tag] }),
      limits: limitsSchema.parse({}),
      locations: locationPolicySchema.parse({}),
    };
  });
  await insertChunks(groupRows, (chunk) => db.insert(accessGroups).values(chunk));

  const r = opts.requester;
  const memberRows: (typeof accessGroupMembers.$inferInsert)[] = [];
  const activationRows: (typeof accessGroupActivations.$inferInsert)[] = [];
  const approverRows: (typeof accessGroupApprovers.$inferInsert)[] = [];
  const levelRows: (typeof accessGroupLevels.$inferInsert)[] = [];
  let requesterGroups = 0;
  groupRows.forEach((group, g) => {
    // Ten made-up people per group, plus the requester in every fifth group.
    for (let m = 0; m < 10; m++) {
      const guid = randomUUID();
      const name = `${slug}-user-${pad(g, 3)}-${m}`;
      memberRows.push({ groupId: group.id, kind: "user", objectGuid: guid, dn: `CN=${name},OU=People,DC=interim,DC=test`, name });
      activationRows.push({ groupId: group.id, userGuid: guid, username: name, state: "active", source: "auto" });
      if (m < 2) approverRows.push({ groupId: group.id, userGuid: guid, username: name, dn: `CN=${name},OU=People,DC=interim,DC=test`, level: 1 });
    }
    levelRows.push({ groupId: group.id, level: 1, requiredApprovals: 1 });
    if (g % 5 === 0) {
      requesterGroups++;
      memberRows.push({ groupId: group.id, kind: "user", objectGuid: r.objectGuid, dn: r.dn, name: r.username, displayName: r.displayName });
      activationRows.push({ groupId: group.id, userGuid: r.objectGuid, username: r.username, displayName: r.displayName, state: "active", source: "auto" });
      // The requester approves for some of their own groups: the form says they cannot approve themselves.
      if (g % 20 === 0) approverRows.push({ groupId: group.id, userGuid: r.objectGuid, username: r.username, displayName: r.displayName, dn: r.dn, level: 1 });
    }
  });
  await insertChunks(memberRows, (chunk) => db.insert(accessGroupMembers).values(chunk));
  await insertChunks(activationRows, (chunk) => db.insert(accessGroupActivations).values(chunk));
  await insertChunks(approverRows, (chunk) => db.insert(accessGroupApprovers).values(chunk));
  await insertChunks(levelRows, (chunk) => db.insert(accessGroupLevels).values(chunk));
  return { privilegeIds: privilegeRows.map((p) => p.id), groupIds: groupRows.map((g) => g.id), requesterGroups, tags };
}
