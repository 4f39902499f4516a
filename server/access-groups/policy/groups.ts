import "server-only";
import {
  credentialMatcher,
  credentialMatches,
  indexDevicesByName,
  privilegeMatches,
  type CredentialFacts,
  type DeviceFacts,
  type DevicesByName,
  type PrivilegeFacts,
} from "./criteria";
import { evaluateLimits, type LimitsRule } from "./limits";
import { evaluateLocation, type ResolvedLocation } from "./locations";
import type { AccessGroupPolicy, GroupSettings } from "./schemas";

/*
 * Overlapping groups. A user in several enabled groups sees the union of what they allow; each
 * request is bound to exactly one of them, whose policy it is then checked and frozen against.
 *
 * Binding rule: among the groups that allow the target, keep those that allow it right now (not
 * disabled, emergency allowed if the request is an emergency, limits, location), then pick the one
 * that asks least of the requester: no approval before approval (an emergency request skips
 * approval, so there this key ties), then fewer required request fields, then name
 * (case-insensitive, then exact), then id, so the choice never depends on input order.
 * When none qualifies the refusal names every group and the first rule that refused it.
 */

export type RequestField = "justification" | "changeId" | "governanceCode";

/** The fields a request bound to a group with these settings must carry, in form order. */
export function requiredRequestFields(settings: GroupSettings): RequestField[] {
  const fields: RequestField[] = [];
  if (settings.requiresJustification) fields.push("justification");
  if (settings.requiresChangeId) fields.push("changeId");
  if (settings.requiresGovernanceCode) fields.push("governanceCode");
  return fields;
}

export interface Catalog<P extends PrivilegeFacts, C extends CredentialFacts, D extends DeviceFacts> {
  privileges: readonly P[];
  credentials: readonly C[];
  devices: readonly D[];
}

export interface EffectiveAccess<G, P, C> {
  /** Privileges at least one enabled group allows, in catalog order, each with the groups allowing it. */
  privileges: { privilege: P; groups: G[] }[];
  /** Privileged accounts at least one enabled group lets the user elevate, likewise. */
  credentials: { credential: C; groups: G[] }[];
}

export function effectiveAccess<G extends AccessGroupPolicy, P extends PrivilegeFacts, C extends CredentialFacts, D extends DeviceFacts>(
  groups: readonly G[],
  catalog: Catalog<P, C, D>,
): EffectiveAccess<G, P, C> {
  const enabled = groups.filter((g) => g.enabled);
  const devicesByName = indexDevicesByName(catalog.devices);
  const privileges = catalog.privileges
    .map((privilege) => ({ privilege, groups: enabled.filter((g) => privilegeMatches(g.criteria, privilege)) }))
    .filter((entry) => entry.groups.length > 0);
  const matchers = enabled.map((g) => ({ g, matches: credentialMatcher(g.criteria, devicesByName) }));
  const credentials = catalog.credentials
    .map((credential) => ({ credential, groups: matchers.filter((m) => m.matches(credential)).map((m) => m.g) }))
    .filter((entry) => entry.groups.length > 0);
  return { privileges, credentials };
}

/**
 * The enabled groups allowing a privilege for a target account: the requester's own account
 * (credential null) needs only the privilege to match; a privileged account must match the same
 * group's credential criteria too.
 */
export function groupsAllowing<G extends AccessGroupPolicy>(
  groups: readonly G[],
  target: { privilege: PrivilegeFacts; credential: CredentialFacts | null },
  devicesByName: DevicesByName,
): G[] {
  return groups.filter(
    (g) =>
      g.enabled &&
      privilegeMatches(g.criteria, target.privilege) &&
      (target.credential === null || credentialMatches(g.criteria, target.credential, devicesByName)),
  );
}

export type GroupRefusalRule = "disabled" | "emergency" | LimitsRule | "location";

export interface GroupRefusal<G> {
  group: G;
  rule: GroupRefusalRule;
  reason: string;
  /** When the group's limits open again, if they are what refused. */
  nextWindowStartsAt: Date | null;
}

export type GroupChoice<G> = { ok: true; group: G; windowEndsAt: Date | null } | { ok: false; reason: string; refusals: GroupRefusal<G>[] };

function compareGroups(a: AccessGroupPolicy, b: AccessGroupPolicy, emergency: boolean): number {
  const approval = (g: AccessGroupPolicy) => (g.settings.requiresApproval && !emergency ? 1 : 0);
  const byCodeUnits = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    approval(a) - approval(b) ||
    requiredRequestFields(a.settings).length - requiredRequestFields(b.settings).length ||
    byCodeUnits(a.name.toLowerCase(), b.name.toLowerCase()) ||
    byCodeUnits(a.name, b.name) ||
    byCodeUnits(a.id, b.id)
  );
}

/** Each group's limits at one instant, by group id: shared by the choices of one listing (same `now`). */
export type LimitsByGroup = Map<string, ReturnType<typeof evaluateLimits>>;

export function chooseGroupForRequest<G extends AccessGroupPolicy>(
  groups: readonly G[],
  now: Date,
  location: ResolvedLocation | null,
  options: { emergency?: boolean; limitsByGroup?: LimitsByGroup } = {},
): GroupChoice<G> {
  const emergency = options.emergency ?? false;
  const open: { group: G; windowEndsAt: Date | null }[] = [];
  const refusals: GroupRefusal<G>[] = [];
  for (const group of groups) {
    const refuse = (rule: GroupRefusalRule, reason: string, nextWindowStartsAt: Date | null = null) =>
      refusals.push({ group, rule, reason, nextWindowStartsAt });
    if (!group.enabled) {
      refuse("disabled", "The group is disabled");
      continue;
    }
    if (emergency && !group.settings.allowsEmergencyAccess) {
      refuse("emergency", "The group does not allow emergency access");
      continue;
    }
    // A caller judging many privileges at one `now` passes a map: each group's limits are worked out once.
    let limits = options.limitsByGroup?.get(group.id);
    if (!limits) {
      limits = evaluateLimits(group.limits, group.timeZone, now);
      options.limitsByGroup?.set(group.id, limits);
    }
    if (!limits.allowed) {
      refuse(limits.rule, limits.reason, limits.nextWindowStartsAt);
      continue;
    }
    const where = evaluateLocation(group.locations, location);
    if (!where.allowed) {
      refuse("location", where.reason);
      continue;
    }
    open.push({ group, windowEndsAt: limits.windowEndsAt });
  }
  const [best] = open.sort((a, b) => compareGroups(a.group, b.group, emergency));
  if (best !== undefined) return { ok: true, group: best.group, windowEndsAt: best.windowEndsAt };
  if (refusals.length === 0) return { ok: false, reason: "None of your access groups allows this", refusals };
  const reasons = refusals.map((r) => `${r.group.name}: ${r.reason}`).join("; ");
  return { ok: false, reason: `No access group allows this right now. ${reasons}`, refusals };
}
