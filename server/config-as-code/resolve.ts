import "server-only";
import { inArray, sql } from "drizzle-orm";
import { parseDocument } from "yaml";
import { db } from "@/db";
import { catalogCredentials, grants, requests } from "@/db/schema";
import { isDomainError } from "@/server/errors";
import { listDomainControllers } from "@/server/directory/domain";
import { getGroupByGuid, type DirectoryGroup } from "@/server/directory/service";
import { replicationSettingsInput } from "@/server/directory/schemas";
import { createPrivilegeSetInput } from "@/server/privilege-sets/schemas";
import { publishPrivilegeInput } from "@/server/privileges/schemas";
import { assertMechanismAvailable, assertPublishable } from "@/server/privileges/service";
import { privilegeKey } from "./diff";
import {
  canonicalize,
  documentSchema,
  privilegeSettings,
  type ConfigDocument,
  type PrivilegeConfig,
  type PrivilegeSetConfig,
  type RawDocument,
} from "./document";
import { Issues, placeholderIds, type ImportIssue } from "./issues";
import { resolveGroups, type GroupContext } from "./resolve-groups";

/*
 * An imported document, checked whole: its shape, each object by the rules of the service that
 * owns it (the same zod schemas and checks as the admin forms), and that every AD object it names
 * exists. Every problem is reported with its path; nothing is applied unless there are none.
 */

export interface ImportContext extends GroupContext {
  /** Directory groups of the privileges, re-read by objectGUID (their DN and SID are the directory's). */
  adGroups: Map<string, DirectoryGroup>;
  /** Catalog credential id by objectGUID. */
  credentials: Map<string, string>;
}

export type Resolution = { ok: true; doc: ConfigDocument; context: ImportContext } | { ok: false; issues: ImportIssue[] };

const message = (err: unknown) => (isDomainError(err) ? err.message : (err as Error).message);

async function resolvePrivileges(raw: RawDocument, current: ConfigDocument, issues: Issues, adGroups: Map<string, DirectoryGroup>): Promise<PrivilegeConfig[]> {
  const out: PrivilegeConfig[] = [];
  const names = new Set<string>();
  const guids = new Set<string>();
  const existing = new Map(current.privileges.map((p) => [privilegeKey(p), p]));
  for (const [i, p] of raw.privileges.entries()) {
    const at = ["privileges", i];
    const input = issues.parse(publishPrivilegeInput, { groupGuid: p.group.objectGuid, ...p, group: undefined, enabled: undefined }, at, {
      groupGuid: "group",
    });
    if (!input) continue;
    const guid = input.groupGuid.toLowerCase();
    if (names.has(input.name)) issues.add([...at, "name"], `Two privileges are named "${input.name}"`);
    if (guids.has(guid)) issues.add([...at, "group", "objectGuid"], "Two privileges publish this group");
    names.add(input.name);
    guids.add(guid);
    const group = await getGroupByGuid(guid);
    if (!group) {
      issues.add([...at, "group", "objectGuid"], `No group with this objectGUID in the directory${p.group.dn ? ` (was ${p.group.dn})` : ""}`);
      continue;
    }
    adGroups.set(guid, group);
    const before = existing.get(guid);
    try {
      if (!before) await assertPublishable(group);
      if (!before || before.mechanism !== input.mechanism) await assertMechanismAvailable(input.mechanism);
    } catch (err) {
      issues.add(at, message(err));
    }
    out.push({ name: input.name, group: { objectGuid: guid, dn: group.dn }, ...privilegeSettings({ ...input, enabled: p.enabled }), drift: p.drift });
  }
  return out;
}

async function resolveSets(raw: RawDocument, privileges: PrivilegeConfig[], issues: Issues, credentials: Map<string, string>): Promise<PrivilegeSetConfig[]> {
  const guids = [...new Set(raw.privilegeSets.flatMap((s) => s.accounts.map((a) => a.objectGuid.toLowerCase())))];
  const rows = guids.length
    ? await db
        .select()
        .from(catalogCredentials)
        .where(inArray(sql`lower(${catalogCredentials.objectGuid})`, guids))
    : [];
  const catalog = new Map(rows.map((r) => [r.objectGuid!.toLowerCase(), r]));
  const byName = new Map(privileges.map((p) => [p.name, p]));
  const names = new Set<string>();
  const out: PrivilegeSetConfig[] = [];
  for (const [i, s] of raw.privilegeSets.entries()) {
    const at = ["privilegeSets", i];
    const input = issues.parse(
      createPrivilegeSetInput,
      {
        name: s.name,
        description: s.description,
        allowOwnAccount: s.allowOwnAccount,
        privilegeIds: placeholderIds(s.privileges),
        credentialIds: placeholderIds(s.accounts.map((a) => a.objectGuid.toLowerCase())),
      },
      at,
      { privilegeIds: "privileges", credentialIds: "accounts" },
    );
    if (!input) continue;
    if (names.has(input.name)) issues.add([...at, "name"], `Two privilege sets are named "${input.name}"`);
    names.add(input.name);
    s.privileges.forEach((name, j) => {
      const p = byName.get(name);
      if (!p) issues.add([...at, "privileges", j], `No privilege named "${name}" in this document`);
      else if (s.enabled && !p.enabled) issues.add([...at, "privileges", j], `"${name}" is disabled: enable it or disable the set`);
    });
    const accounts = s.accounts.flatMap((a, j) => {
      const guid = a.objectGuid.toLowerCase();
      const row = catalog.get(guid);
      if (!row || row.dn === null) {
        issues.add([...at, "accounts", j], `${a.username ?? guid} is not a directory account of the catalog: sync the catalog first`);
        return [];
      }
      if (!row.present && s.enabled) issues.add([...at, "accounts", j], `${row.username} is no longer in Active Directory`);
      credentials.set(guid, row.id);
      return [{ objectGuid: guid, dn: row.dn, username: row.username }];
    });
    out.push({
      name: input.name,
      description: input.description,
      enabled: s.enabled,
      allowOwnAccount: input.allowOwnAccount,
      privileges: s.privileges,
      accounts,
    });
  }
  return out;
}

async function resolveReplication(raw: RawDocument, current: ConfigDocument, issues: Issues) {
  // Left out: the settings stay as they are.
  if (!raw.directory.replication) return current.directory.replication;
  const at = ["directory", "replication"];
  const replication = issues.parse(replicationSettingsInput, raw.directory.replication, at);
  if (!replication) return current.directory.replication;
  if (replication.dcUrls.length) {
    // The checks bind there with the service account's password: only the domain's own DCs.
    const known = new Set((await listDomainControllers()).map((d) => d.hostName.toLowerCase()));
    replication.dcUrls.forEach((u, j) => {
      if (!known.has(new URL(u).hostname.toLowerCase())) issues.add([...at, "dcUrls", j], `Not a domain controller of this domain: ${u}`);
    });
  }
  return replication;
}

/** Privileges and sets that would be deleted although requests point at them: refused (disable them instead). */
async function checkRemovals(current: ConfigDocument, doc: ConfigDocument, issues: Issues) {
  const kept = new Set(doc.privileges.map(privilegeKey));
  const gone = current.privileges.filter((p) => !kept.has(privilegeKey(p))).map((p) => p.group.objectGuid);
  if (gone.length) {
    const used = await db.execute<{ name: string }>(sql`
      select p.name from privileges p where lower(p.group_guid) in ${gone}
        and (exists (select 1 from ${requests} r where r.privilege_id = p.id or p.id = any(r.set_privilege_ids))
          or exists (select 1 from ${grants} g where g.privilege_id = p.id))`);
    for (const r of used) {
      issues.add(["privileges"], `"${r.name}" is missing, but requests were made for it: keep it in the document with enabled: false`);
    }
  }
  const setNames = new Set(doc.privilegeSets.map((s) => s.name));
  const goneSets = current.privilegeSets.filter((s) => !setNames.has(s.name)).map((s) => s.name);
  if (goneSets.length) {
    const used = await db.execute<{ name: string }>(
      sql`select s.name from privilege_sets s where s.name in ${goneSets} and exists (select 1 from ${requests} r where r.privilege_set_id = s.id)`,
    );
    for (const r of used) {
      issues.add(["privilegeSets"], `"${r.name}" is missing, but requests were made for it: keep it in the document with enabled: false`);
    }
  }
}

/** Parses and checks a YAML document against the current configuration. */
export async function resolveDocument(text: string, current: ConfigDocument): Promise<Resolution> {
  const issues = new Issues();
  const yaml = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (yaml.errors.length) return { ok: false, issues: yaml.errors.map((e) => ({ path: "(document)", message: e.message })) };
  const raw = issues.parse(documentSchema, yaml.toJS(), []);
  if (!raw) return { ok: false, issues: issues.list };
  const adGroups = new Map<string, DirectoryGroup>();
  const credentials = new Map<string, string>();
  const privileges = await resolvePrivileges(raw, current, issues, adGroups);
  const privilegeSets = await resolveSets(raw, privileges, issues, credentials);
  const replication = await resolveReplication(raw, current, issues);
  const groups = await resolveGroups(raw, current, privileges, issues);
  if (!issues.ok) return { ok: false, issues: issues.list };
  const doc = canonicalize({ version: raw.version, directory: { replication }, privileges, privilegeSets, accessGroups: groups.configs });
  await checkRemovals(current, doc, issues);
  if (!issues.ok) return { ok: false, issues: issues.list };
  return { ok: true, doc, context: { ...groups.context, adGroups, credentials } };
}
