import "server-only";
import { db } from "@/db";
import {
  bindVerdict,
  evaluateRequest,
  publicVerdict,
  type Credential,
  type Privilege,
  type RequesterSituation,
  type Verdict,
} from "@/server/access-groups/enforcement";
import { groupsAllowing } from "@/server/access-groups/policy/groups";
import type { AccessGroupPolicy } from "@/server/access-groups/policy/schemas";
import type { DevicesByName } from "@/server/access-groups/policy/criteria";
import { loadSets, type LoadedSet } from "./store";

/*
 * Who may request a privilege set, for which account.
 *
 * - The account: one of the set's privileged accounts, or the requester's own account when the
 *   set allows it. Only directory accounts can join AD groups; manual catalog entries never count.
 * - The access groups: ONE group must allow every privilege of the set for that account. That
 *   group binds the request exactly as for a single privilege (its fields, approval levels, limits,
 *   window), so a set request has one policy, one approval chain and one end. Privileges allowed
 *   only by different groups do not add up to a set: each group's approvers would have approved
 *   only part of it.
 * - The duration: at most the shortest maximum of its privileges; the default likewise.
 */

export function setDurations(privileges: readonly Pick<Privilege, "maxDurationMinutes" | "defaultDurationMinutes">[]) {
  const maxDurationMinutes = Math.min(...privileges.map((p) => p.maxDurationMinutes));
  const defaultDurationMinutes = Math.min(maxDurationMinutes, ...privileges.map((p) => p.defaultDurationMinutes));
  return { maxDurationMinutes, defaultDurationMinutes };
}

/** Accounts of the set that can be put into AD groups (present directory accounts). */
export function usableAccounts(set: LoadedSet): Credential[] {
  return set.accounts.filter((c) => c.present && c.objectGuid !== null && c.dn !== null);
}

/** Why the set cannot be used for this account, or null when it can. */
export function accountRefusal(set: LoadedSet, credential: Credential | null): string | null {
  const listed = set.accounts.map((a) => a.username).join(", ");
  if (credential === null) {
    return set.allowOwnAccount ? null : `The privilege set "${set.name}" is for its privileged accounts only${listed ? ` (${listed})` : ""}: pick one of them.`;
  }
  if (!set.accounts.some((a) => a.id === credential.id)) {
    return `${credential.username} is not one of the accounts allowed to use the privilege set "${set.name}"${listed ? ` (${listed})` : ""}.`;
  }
  return null;
}

/** The groups that allow every privilege of the set for the account. */
export function groupsAllowingSet<G extends AccessGroupPolicy>(
  groups: readonly G[],
  privileges: readonly Privilege[],
  credential: Credential | null,
  devicesByName: DevicesByName,
): G[] {
  const each = privileges.map((privilege) => new Set(groupsAllowing(groups, { privilege, credential }, devicesByName)));
  return groups.filter((g) => each.every((allowing) => allowing.has(g)));
}

/** The verdict for a set request, as evaluateRequest gives it for one privilege. */
export function evaluateSetRequest(
  s: RequesterSituation,
  target: { set: LoadedSet; credential: Credential | null },
  durationMinutes: number,
  now: Date,
  options: { emergency?: boolean } = {},
): Verdict {
  const { set, credential } = target;
  const refusal = accountRefusal(set, credential);
  if (refusal) return { ok: false, rule: "account", reason: refusal, nextWindowStartsAt: null };
  const common = groupsAllowingSet(s.groups, set.privileges, credential, s.devicesByName);
  if (common.length > 0) return bindVerdict(s, common, durationMinutes, now, options);
  // A privilege no group allows at all is refused as it would be alone (membership, disabled group…).
  for (const privilege of set.privileges) {
    const alone = evaluateRequest(s, { privilege, credential }, durationMinutes, now, options);
    if (!alone.ok && (alone.rule === "membership" || alone.rule === "criteria" || alone.rule === "disabled")) {
      return { ...alone, reason: `In the privilege set "${set.name}": ${alone.reason}` };
    }
  }
  const forAccount = credential ? ` for the account ${credential.username}` : "";
  return {
    ok: false,
    rule: "criteria",
    reason: `No single access group of yours allows every privilege of the set "${set.name}"${forAccount}; each of them is allowed by a different group.`,
    nextWindowStartsAt: null,
  };
}

/**
 * The enabled sets the requester may ask for now or later: every privilege enabled, and at least
 * one account (their own, where the set allows it, or one of its privileged accounts) for which
 * one of their groups allows the whole set. Each comes with the verdict for its first account.
 */
export async function setsForRequester(s: RequesterSituation, now = new Date()) {
  const sets = (await loadSets(db, { enabledOnly: true })).filter((set) => set.privileges.length > 0 && set.privileges.every((p) => p.enabled));
  return sets.flatMap((set) => {
    const groupsFor = (credential: Credential | null) => groupsAllowingSet(s.groups, set.privileges, credential, s.devicesByName);
    const ownGroups = set.allowOwnAccount ? groupsFor(null) : [];
    const accounts = usableAccounts(set)
      .map((credential) => ({ credential, groups: groupsFor(credential) }))
      .filter((a) => a.groups.length > 0);
    if (ownGroups.length === 0 && accounts.length === 0) return [];
    const first = ownGroups.length > 0 ? null : accounts[0]!.credential;
    const durations = setDurations(set.privileges);
    const verdict = evaluateSetRequest(s, { set, credential: first }, durations.defaultDurationMinutes, now);
    return [
      {
        set: { id: set.id, name: set.name, description: set.description, ...durations },
        privileges: set.privileges.map((p) => ({ id: p.id, name: p.name, description: p.description })),
        /** Whether the requester's own account is offered: the set allows it and a group allows the set for it. */
        ownAccount: ownGroups.length > 0,
        accounts: accounts.map(({ credential: a }) => ({ id: a.id, username: a.username, displayName: a.displayName })),
        emergencyAllowed: [...ownGroups, ...accounts.flatMap((a) => a.groups)].some((g) => g.settings.allowsEmergencyAccess),
        verdict: publicVerdict(verdict),
      },
    ];
  });
}
