import "server-only";
import { AndFilter, EqualityFilter, escapeFilter, ResultCodeError, SubstringFilter } from "ldapts";
import { recordHijackedTemporaryGroup } from "@/server/drift/temporary-groups";
import { env } from "@/server/env";
import { refused } from "@/server/errors";
import { guidToString } from "./binary";
import { serviceConnection } from "./connection";
import { DirectoryError } from "./errors";
import { addMembers, buf, guidRef, listGroupMembers, removeMembers, str, type GroupMember } from "./service";

/*
 * The temporary-group mechanism: per grant, a global security group in TEMP_GROUP_OU holding the
 * account, nested into the privilege's group. Ending the grant deletes the group, which takes both
 * links with it — the privilege's group never accumulates the account's own add/remove history,
 * and a crash between the steps leaves a group that is easy to find (our OU, our prefix, the
 * grant's id in its name) and to clean up.
 */

/** ADS_GROUP_TYPE_GLOBAL_GROUP | ADS_GROUP_TYPE_SECURITY_ENABLED: a global group nests into any group of the domain. */
const GLOBAL_SECURITY_GROUP = String(0x80000002 | 0);

export const TEMP_GROUPS_UNAVAILABLE = "Temporary groups need TEMP_GROUP_OU: the OU where Interim may create and delete groups.";

export function temporaryGroupsAvailable(): boolean {
  return Boolean(env.TEMP_GROUP_OU);
}

function temporaryOu(): string {
  if (!env.TEMP_GROUP_OU) throw new DirectoryError("invalid-input", TEMP_GROUPS_UNAVAILABLE);
  return env.TEMP_GROUP_OU;
}

/** The group's name: the prefix and the grant id's 32 hex digits, so a retry finds the group an earlier attempt made. */
export function temporaryGroupName(grantId: string, prefix = env.TEMP_GROUP_PREFIX): string {
  const hex = grantId.toLowerCase().replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new RangeError(`Not a grant id: ${grantId}`);
  return `${prefix}${hex}`;
}

/** The grant id in a temporary group's name, or null for any other name. */
export function grantIdOfTemporaryGroup(name: string, prefix = env.TEMP_GROUP_PREFIX): string | null {
  if (name.length !== prefix.length + 32 || name.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return null;
  const hex = name.slice(prefix.length).toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a DN of one of our temporary groups (right OU, right name shape). */
export function isTemporaryGroupDn(dn: string): boolean {
  const ou = env.TEMP_GROUP_OU;
  if (!ou) return false;
  const m = /^CN=([^,]+),(.+)$/i.exec(dn.trim());
  if (!m) return false;
  const norm = (s: string) =>
    s
      .split(",")
      .map((p) => p.trim())
      .join(",")
      .toLowerCase();
  return norm(m[2]!) === norm(ou) && grantIdOfTemporaryGroup(m[1]!) !== null;
}

export interface TemporaryGroup {
  guid: string;
  dn: string;
  name: string;
  createdAt: Date | null;
}

const GROUP_ATTRS = ["objectGUID", "cn", "whenCreated"];

/** AD's GeneralizedTime ("20261124012233.0Z") as a Date. */
function generalizedTime(raw: string | null): Date | null {
  const m = raw ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(raw) : null;
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : null;
}

function toTemporaryGroup(e: Parameters<typeof str>[0]): TemporaryGroup {
  return { guid: guidToString(buf(e, "objectGUID")), dn: e.dn, name: str(e, "cn") ?? "", createdAt: generalizedTime(str(e, "whenCreated")) };
}

async function readByDn(dn: string): Promise<TemporaryGroup | null> {
  return serviceConnection().run("Read temporary group", async (c) => {
    const { searchEntries } = await c
      .search(dn, { scope: "base", filter: "(objectClass=group)", attributes: GROUP_ATTRS, explicitBufferAttributes: ["objectGUID"] })
      .catch((err: unknown) => {
        if (err instanceof ResultCodeError && err.code === 32) return { searchEntries: [] };
        throw err;
      });
    return searchEntries[0] ? toTemporaryGroup(searchEntries[0]) : null;
  });
}

/**
 * Creates (or, on a retry, finds) the grant's temporary group, puts the account in it and nests it
 * into the target group. Every step is idempotent, so running it again after a crash at any point
 * ends in the same state.
 *
 * A group with that name that already exists is adopted only when it holds nothing but the grant's
 * account and sits in no group but the target: anyone who can create groups in TEMP_GROUP_OU could
 * otherwise put themselves in it ahead of the grant and ride along into the privilege. Checked
 * again after the nesting (a member slipped in meanwhile is caught and the nesting taken back).
 * A refusal fails the grant and raises a drift finding for each such member.
 */
export async function provisionTemporaryGroup(input: {
  grantId: string;
  memberGuid: string;
  targetGroupGuid: string;
  description: string;
}): Promise<TemporaryGroup> {
  const name = temporaryGroupName(input.grantId);
  const dn = `CN=${name},${temporaryOu()}`;
  const existed = await serviceConnection().run("Create temporary group", async (c) => {
    try {
      await c.add(dn, {
        objectClass: ["top", "group"],
        cn: name,
        sAMAccountName: name,
        groupType: GLOBAL_SECURITY_GROUP,
        // At most 1,024 characters in AD; ours are short.
        description: input.description.slice(0, 1000),
      });
      return false;
    } catch (err) {
      // 68: it exists — an earlier attempt of this grant made it, or someone else did.
      if (!(err instanceof ResultCodeError && err.code === 68)) throw err;
      return true;
    }
  });
  const group = await readByDn(dn);
  if (!group) throw new DirectoryError("not-found", `Temporary group ${dn} vanished right after it was created`);
  if (existed) {
    const outside = (await containersOf(group)).filter((c) => c.guid !== input.targetGroupGuid.toLowerCase());
    if (outside.length) {
      throw refused(
        "temporary-group-nested",
        `The temporary group ${group.dn} existed already, nested in ${outside.map((c) => c.dn).join("; ")}: not adopted, the grant is refused.`,
      );
    }
    await refuseUnexpectedMembers(input, group);
  }
  await addMembers(group.guid, [input.memberGuid]);
  await addMembers(input.targetGroupGuid, [group.guid]);
  await refuseUnexpectedMembers(input, group, { unnest: true });
  return group;
}

async function refuseUnexpectedMembers(
  input: { grantId: string; memberGuid: string; targetGroupGuid: string },
  group: TemporaryGroup,
  opts = { unnest: false },
) {
  const unexpected = (await listGroupMembers({ guid: group.guid })).filter((m) => m.guid !== input.memberGuid.toLowerCase());
  if (unexpected.length === 0) return;
  if (opts.unnest) await removeMembers(input.targetGroupGuid, [group.guid]);
  await recordHijackedTemporaryGroup({ grantId: input.grantId, groupGuid: group.guid, groupDn: group.dn, unexpected });
  throw refused(
    "temporary-group-members",
    `The temporary group ${group.dn} holds members Interim did not put there (${unexpected.map((m) => m.dn).join("; ")}): not adopted, the grant is refused and the members are raised as drift findings.`,
  );
}

/** The groups a group is a direct member of. */
async function containersOf(group: TemporaryGroup): Promise<GroupMember[]> {
  return serviceConnection().run("Read temporary group nesting", async (c) => {
    const { searchEntries } = await c.search(env.LDAP_BASE_DN, {
      scope: "sub",
      filter: `(&(objectClass=group)(member=${escapeFilter`${group.dn}`}))`,
      attributes: ["objectGUID"],
      explicitBufferAttributes: ["objectGUID"],
    });
    return searchEntries.map((e) => ({ guid: guidToString(buf(e, "objectGUID")), sid: null, dn: e.dn }));
  });
}

/** Deletes a temporary group by GUID; an already deleted group counts as done. Returns false then. */
export async function deleteTemporaryGroup(guid: string): Promise<boolean> {
  return serviceConnection().run("Delete temporary group", async (c) => {
    try {
      await c.del(guidRef(guid));
      return true;
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 32) return false;
      throw err;
    }
  });
}

/**
 * Deletes the grant's temporary group by its name (its GUID may never have been recorded: the
 * attempt that made it failed). True when there was one to delete.
 */
export async function deleteTemporaryGroupOf(grantId: string): Promise<{ deleted: boolean; dn: string }> {
  const dn = `CN=${temporaryGroupName(grantId)},${temporaryOu()}`;
  return serviceConnection().run("Delete temporary group", async (c) => {
    try {
      await c.del(dn);
      return { deleted: true, dn };
    } catch (err) {
      if (err instanceof ResultCodeError && err.code === 32) return { deleted: false, dn };
      throw err;
    }
  });
}

/** Every group in TEMP_GROUP_OU named with our prefix (one level; paged). */
export async function listTemporaryGroups(): Promise<TemporaryGroup[]> {
  const ou = temporaryOu();
  const filter = new AndFilter({
    filters: [new EqualityFilter({ attribute: "objectClass", value: "group" }), new SubstringFilter({ attribute: "cn", initial: env.TEMP_GROUP_PREFIX })],
  });
  return serviceConnection().run("List temporary groups", async (c) => {
    const found: TemporaryGroup[] = [];
    for await (const page of c.searchPaginated(ou, {
      scope: "one",
      filter,
      attributes: GROUP_ATTRS,
      explicitBufferAttributes: ["objectGUID"],
      paged: { pageSize: 500 },
    })) {
      found.push(...page.searchEntries.map(toTemporaryGroup));
    }
    return found.filter((g) => grantIdOfTemporaryGroup(g.name) !== null);
  });
}
