import "server-only";
import { asc, eq } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, catalogDevices, privileges, users } from "@/db/schema";
import { describeLocation, resolveLocation } from "@/server/geo/resolve";
import { othersAccountReason } from "@/server/catalog/ownership";
import { publicPrivilege } from "@/server/privileges/public";
import { membershipsOf, type Membership } from "./members";
import { indexDevicesByName, type DevicesByName } from "./policy/criteria";
import { chooseGroupForRequest, effectiveAccess, groupsAllowing, requiredRequestFields, type LimitsByGroup, type RequestField } from "./policy/groups";
import type { ResolvedLocation } from "./policy/locations";
import { DEVICE_FIELDS, type AccessGroupPolicy } from "./policy/schemas";
import { toPolicy } from "./service";

/*
 * Access groups applied to a requester: what they may see, and whether one request is allowed,
 * by which group, with which fields and until when. The requester page and the request form use
 * the same verdicts the server enforces on submit, so the form never promises what submit refuses.
 */

export type Privilege = typeof privileges.$inferSelect;
export type Credential = typeof catalogCredentials.$inferSelect;
type Person = { id: string; objectGuid: string; username: string; displayName: string; dn: string };

/** Which rule refused: "membership" and "criteria" are about the groups; the rest come from the engine. */
export type RefusalRule = "membership" | "criteria" | "disabled" | "emergency" | "validFrom" | "validTo" | "daysOfWeek" | "hours" | "location" | "account";

export type Verdict =
  | {
      ok: true;
      group: AccessGroupPolicy;
      requiredFields: RequestField[];
      requiresApproval: boolean;
      emergency: boolean;
      /** When the group's window closes (null: it does not within the policy's horizon). */
      windowEndsAt: Date | null;
      /** now + duration, clipped to windowEndsAt. */
      endsAt: Date;
      clipped: boolean;
    }
  | { ok: false; rule: RefusalRule; reason: string; nextWindowStartsAt: Date | null };

export interface RequesterSituation {
  person: Person;
  memberships: Membership[];
  /** Enabled groups whose membership is active: the ones that grant anything. */
  groups: AccessGroupPolicy[];
  location: ResolvedLocation | null;
  locationText: string;
  devices: (typeof catalogDevices.$inferSelect)[];
  devicesByName: DevicesByName;
}

export async function loadPerson(userId: string): Promise<Person | null> {
  const [person] = await db
    .select({ id: users.id, objectGuid: users.objectGuid, username: users.username, displayName: users.displayName, dn: users.dn })
    .from(users)
    .where(eq(users.id, userId));
  return person ?? null;
}

export async function situationOf(person: Person, ip: string | null | undefined): Promise<RequesterSituation> {
  const memberships = await membershipsOf(person);
  const groups = memberships.filter((m) => m.state === "active").map((m) => toPolicy(m.group));
  // Devices matter only to groups with device criteria; most requests skip reading the catalog.
  const needsDevices = groups.some((g) => DEVICE_FIELDS.some((field) => g.criteria[field].length > 0));
  const devices = needsDevices ? await db.select().from(catalogDevices).where(eq(catalogDevices.present, true)) : [];
  const location = resolveLocation(ip);
  return { person, memberships, groups, location, locationText: describeLocation(location), devices, devicesByName: indexDevicesByName(devices) };
}

function membershipRefusal(s: RequesterSituation, what: string): Verdict & { ok: false } {
  const refuse = (reason: string) => ({ ok: false as const, rule: "membership" as const, reason, nextWindowStartsAt: null });
  if (s.memberships.length === 0) return refuse("You are not in any access group. Ask an administrator to add you to one.");
  const waiting = s.memberships.filter((m) => m.state === "pending").map((m) => m.group.name);
  const suspended = s.memberships.filter((m) => m.state === "suspended").map((m) => m.group.name);
  if (s.groups.length === 0) {
    const parts = [
      waiting.length ? `your membership in ${waiting.join(", ")} waits for an administrator to activate it` : "",
      suspended.length ? `your membership in ${suspended.join(", ")} is suspended` : "",
    ].filter(Boolean);
    return refuse(`None of your access groups is open to you: ${parts.join("; ")}.`);
  }
  return { ok: false, rule: "criteria", reason: `None of your access groups allows ${what}.`, nextWindowStartsAt: null };
}

/**
 * The verdict for one request: privilege for the requester's own account (credential null) or a
 * privileged account from the catalog, for `durationMinutes` from `now`.
 */
export function evaluateRequest(
  s: RequesterSituation,
  target: { privilege: Privilege; credential: Credential | null },
  durationMinutes: number,
  now: Date,
  options: { emergency?: boolean } = {},
): Verdict {
  const what = target.credential ? `"${target.privilege.name}" for the account ${target.credential.username}` : `"${target.privilege.name}"`;
  const allowing = groupsAllowing(s.groups, target, s.devicesByName);
  if (allowing.length === 0) {
    // A disabled group that would allow it is worth naming: the admin may have just turned it off.
    const disabled = groupsAllowing(
      s.memberships.filter((m) => m.state === "active" && !m.group.enabled).map((m) => ({ ...toPolicy(m.group), enabled: true })),
      target,
      s.devicesByName,
    );
    if (disabled.length)
      return {
        ok: false,
        rule: "disabled",
        reason: `The access group ${disabled.map((g) => g.name).join(", ")} that allows ${what} is disabled.`,
        nextWindowStartsAt: null,
      };
    return membershipRefusal(s, what);
  }
  return bindVerdict(s, allowing, durationMinutes, now, options);
}

/**
 * The verdict once the groups allowing the target are known (`allowing`, not empty): the binding
 * group among them, its required fields and approval, and when access would end.
 */
export function bindVerdict(
  s: RequesterSituation,
  allowing: AccessGroupPolicy[],
  durationMinutes: number,
  now: Date,
  options: { emergency?: boolean; limitsByGroup?: LimitsByGroup } = {},
): Verdict {
  const emergency = options.emergency ?? false;
  const choice = chooseGroupForRequest(allowing, now, s.location, { emergency, limitsByGroup: options.limitsByGroup });
  if (!choice.ok) {
    const first = choice.refusals[0];
    return { ok: false, rule: first?.rule ?? "criteria", reason: choice.reason, nextWindowStartsAt: first?.nextWindowStartsAt ?? null };
  }
  const requested = new Date(now.getTime() + durationMinutes * 60_000);
  const clipped = choice.windowEndsAt !== null && choice.windowEndsAt < requested;
  const fields = requiredRequestFields(choice.group.settings);
  return {
    ok: true,
    group: choice.group,
    // An emergency skips approval (approvers review it afterwards) but always needs a reason.
    requiredFields: emergency && !fields.includes("justification") ? ["justification", ...fields] : fields,
    requiresApproval: choice.group.settings.requiresApproval && !emergency,
    emergency,
    windowEndsAt: choice.windowEndsAt,
    endsAt: clipped ? choice.windowEndsAt! : requested,
    clipped,
  };
}

/**
 * What the requester page shows: the privileges their enabled, active groups allow, for each the
 * privileged accounts they may elevate with it, and the verdict for their own account right now.
 */
export async function requesterAccess(person: Person, ip: string | null | undefined, now = new Date(), situation?: RequesterSituation) {
  const s = situation ?? (await situationOf(person, ip));
  const enabledPrivileges = await db.select().from(privileges).where(eq(privileges.enabled, true)).orderBy(asc(privileges.name));
  const credentials = await db.select().from(catalogCredentials).where(eq(catalogCredentials.present, true)).orderBy(asc(catalogCredentials.username));
  const access = effectiveAccess(s.groups, { privileges: enabledPrivileges, credentials, devices: s.devices });
  // Only directory accounts can be put into an AD group: manual catalog entries are never offered.
  // Separation of duties: another person's account only where a group allows others' accounts (submit refuses the rest).
  const me = { guid: person.objectGuid, dn: person.dn };
  const mayAsk = (credential: (typeof credentials)[number], groups: readonly AccessGroupPolicy[]) =>
    groups.some((g) => othersAccountReason(credential, me, g) === null);
  const allowedCredentials = access.credentials
    .filter(({ credential, groups }) => credential.objectGuid !== null && credential.dn !== null && mayAsk(credential, groups))
    .map((c) => c.credential);
  const privilegesOut = access.privileges.map(({ privilege }) => {
    const accounts = allowedCredentials.filter((credential) => mayAsk(credential, groupsAllowing(s.groups, { privilege, credential }, s.devicesByName)));
    const verdict = evaluateRequest(s, { privilege, credential: null }, privilege.defaultDurationMinutes, now);
    return {
      privilege: publicPrivilege(privilege),
      // Emergency access is offered where one of the groups allowing the privilege permits it.
      emergencyAllowed: access.privileges.some((p) => p.privilege.id === privilege.id && p.groups.some((g) => g.settings.allowsEmergencyAccess)),
      accounts: accounts.map((a) => ({ id: a.id, username: a.username, displayName: a.displayName })),
      verdict: publicVerdict(verdict),
    };
  });
  return {
    location: s.locationText,
    memberships: s.memberships.map((m) => ({ id: m.group.id, name: m.group.name, enabled: m.group.enabled, state: m.state, via: m.via })),
    privileges: privilegesOut,
    credentials: allowedCredentials.map((c) => ({ id: c.id, username: c.username, displayName: c.displayName, type: c.type, deviceNames: c.deviceNames })),
  };
}

/** A verdict without the whole policy: what a requester may know about it. */
export function publicVerdict(v: Verdict) {
  if (!v.ok) return { ok: false as const, rule: v.rule, reason: v.reason, nextWindowStartsAt: v.nextWindowStartsAt };
  return {
    ok: true as const,
    group: v.group.name,
    timeZone: v.group.timeZone,
    requiredFields: v.requiredFields,
    requiresApproval: v.requiresApproval,
    emergency: v.emergency,
    windowEndsAt: v.windowEndsAt,
    endsAt: v.endsAt,
    clipped: v.clipped,
  };
}
