import "server-only";
import { OFFBOARDING_REFUSALS, readAccountStates, type AccountRefusal } from "@/server/auth/account-state";
import { and, eq, inArray, or, sql } from "drizzle-orm";
import type { Transaction } from "@/db";
import {
  accessGroupActivations,
  accessGroupMembers,
  accessGroups,
  catalogCredentials,
  catalogDevices,
  deviceSessions,
  grants,
  privileges,
  requests,
  users,
} from "@/db/schema";
import { sessionSettingsSchema } from "@/shared/sessions/settings-schema";
import { tokenGroupSids } from "@/server/directory/principals";
import { minutesText } from "@/server/requests/timeline-words";
import { accountRefusal } from "@/server/privilege-sets/eligibility";
import { loadSet, type LoadedSet } from "@/server/privilege-sets/store";
import { deviceMatches, indexDevicesByName } from "./policy/criteria";
import { chooseGroupForRequest, groupsAllowing } from "./policy/groups";
import { DEVICE_FIELDS } from "./policy/schemas";
import { toPolicy } from "./service";

/*
 * The live policy, re-checked after submission. A request is checked against its access group when
 * it is submitted and that policy is frozen onto it (approvers decide with the frozen levels), but
 * what may happen to the directory follows the group as it is NOW: each approval and each
 * activation (a scheduled start, a retry, every grant of a privilege set) asks again here.
 *
 * The request stays bound to the group it was checked against: its approvers approved that group's
 * policy, so another group of the requester's cannot take over half-way. Refused when any of these
 * no longer holds: the group exists and is enabled; the requester still belongs to it (listed, or in
 * a listed AD group, read from the DC now) and their membership is active; the privilege (each of a
 * set) is still published and the group's criteria still allow it for the account; a set is still
 * enabled and allows the account; the group's limits, location (the one the request came from) and
 * emergency setting allow it at `at`. A duration longer than the privilege's maximum today is not
 * refused but clipped to it.
 *
 * Rows are read FOR SHARE in the caller's transaction, so an admin's change to the group, the
 * member's activation or the privilege waits for the decision or activation to commit (or the other
 * way round): nothing slips between the check and its consequence.
 */

export type LiveRefusalRule =
  | "deleted"
  | "disabled"
  | "membership"
  | "criteria"
  | "privilege"
  | "privilege-set"
  | "credential"
  | "emergency"
  | "validFrom"
  | "validTo"
  | "daysOfWeek"
  | "hours"
  | "location";

export type PolicyRecheck =
  /** windowEndsAt: where the group's limits close at `at` (null: not within their horizon). */
  | { outcome: "ok"; windowEndsAt: Date | null }
  | { outcome: "clip"; windowEndsAt: Date | null; fromSeconds: number; toSeconds: number; note: string }
  | { outcome: "refuse"; rule: LiveRefusalRule; message: string };

export type RecheckSubject = ({ requestId: string; grantId?: undefined } | { grantId: string; requestId?: undefined }) & {
  at: Date;
  /** The duration to hold against the maximum (a request: what the approver would grant); default: the row's own. */
  durationSeconds?: number;
};

type Request = typeof requests.$inferSelect;
type AccessGroupRow = typeof accessGroups.$inferSelect;
type PrivilegeRow = typeof privileges.$inferSelect;
type CredentialRow = typeof catalogCredentials.$inferSelect;
type DeviceRow = typeof catalogDevices.$inferSelect;

/**
 * Where recheckPolicy reads what it judges. The rules are written once, below; the facts come from
 * queries in the caller's transaction for one subject (queriedFacts), or from facts loaded once for
 * a batch of activations (live-policy-batch.ts), the same rows with the same locks.
 */
export interface PolicyFacts {
  grant(grantId: string): Promise<{ request: Request; privilegeId: string; durationSeconds: number } | undefined>;
  request(requestId: string): Promise<Request | undefined>;
  /** FOR SHARE. */
  group(groupId: string): Promise<AccessGroupRow | undefined>;
  requester(userId: string): Promise<{ guid: string; username: string } | undefined>;
  /** The person's membership activation in the group (FOR SHARE); undefined: none. */
  activationState(groupId: string, personGuid: string): Promise<string | undefined>;
  /** Whether the person is in the group's users: listed themselves, or in a listed AD group (any depth, per their tokenGroups now). */
  belongs(groupId: string, personGuid: string): Promise<boolean>;
  /** FOR SHARE; those of `ids` that exist. */
  privileges(ids: string[]): Promise<PrivilegeRow[]>;
  credential(credentialId: string): Promise<CredentialRow | null>;
  set(setId: string): Promise<LoadedSet | null>;
  /** The device of the request's session, when it is a session's request. */
  sessionDevice(requestId: string): Promise<DeviceRow | null>;
  presentDevices(): Promise<DeviceRow[]>;
  /**
   * A pure rule's result for its inputs (named by `key`): the same for every grant of a batch in
   * one group at one instant, so worked out once (parsing a group and drawing its window cost ~1 ms).
   */
  memo<T>(key: string, compute: () => T): T;
}

/** The facts of one subject, read by queries in `tx`. */
export function queriedFacts(tx: Transaction): PolicyFacts {
  return {
    async grant(grantId) {
      const [row] = await tx
        .select({ request: requests, privilegeId: grants.privilegeId, durationSeconds: grants.durationSeconds })
        .from(grants)
        .innerJoin(requests, eq(requests.id, grants.requestId))
        .where(eq(grants.id, grantId));
      return row;
    },
    async request(requestId) {
      const [row] = await tx.select().from(requests).where(eq(requests.id, requestId));
      return row;
    },
    async group(groupId) {
      const [row] = await tx.select().from(accessGroups).where(eq(accessGroups.id, groupId)).for("share");
      return row;
    },
    async requester(userId) {
      const [row] = await tx.select({ guid: users.objectGuid, username: users.username }).from(users).where(eq(users.id, userId));
      return row;
    },
    async activationState(groupId, personGuid) {
      const [row] = await tx
        .select({ state: accessGroupActivations.state })
        .from(accessGroupActivations)
        .where(and(eq(accessGroupActivations.groupId, groupId), sql`lower(${accessGroupActivations.userGuid}) = ${personGuid.toLowerCase()}`))
        .for("share");
      return row?.state;
    },
    async belongs(groupId, personGuid) {
      // The person's own row and the AD groups' rows only (an access group may list thousands):
      // those are the rows the verdict rests on, so those are the ones held until it is acted on.
      const members = await tx
        .select({ kind: accessGroupMembers.kind, objectGuid: accessGroupMembers.objectGuid, objectSid: accessGroupMembers.objectSid })
        .from(accessGroupMembers)
        .where(
          and(
            eq(accessGroupMembers.groupId, groupId),
            or(eq(accessGroupMembers.kind, "group"), sql`lower(${accessGroupMembers.objectGuid}) = ${personGuid.toLowerCase()}`),
          ),
        )
        .for("share");
      return memberVerdict(members, personGuid, tokenGroupSids);
    },
    async privileges(ids) {
      return tx.select().from(privileges).where(inArray(privileges.id, ids)).for("share");
    },
    async credential(credentialId) {
      const [row] = await tx.select().from(catalogCredentials).where(eq(catalogCredentials.id, credentialId));
      return row ?? null;
    },
    set: (setId) => loadSet(tx, setId),
    async sessionDevice(requestId) {
      const [row] = await tx
        .select({ device: catalogDevices })
        .from(deviceSessions)
        .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
        .where(eq(deviceSessions.requestId, requestId));
      return row?.device ?? null;
    },
    presentDevices: () => tx.select().from(catalogDevices).where(eq(catalogDevices.present, true)),
    memo: (_key, compute) => compute(),
  };
}

export type MemberRow = { kind: "user" | "group"; objectGuid: string; objectSid: string | null };

/** Listed themselves, or (only then is the DC asked) one of the listed AD groups' SIDs is in the person's tokenGroups. */
export async function memberVerdict(members: readonly MemberRow[], personGuid: string, sidsOf: (guid: string) => Promise<string[]>): Promise<boolean> {
  if (members.some((m) => m.kind === "user" && m.objectGuid.toLowerCase() === personGuid.toLowerCase())) return true;
  const groupSids = members.filter((m) => m.kind === "group" && m.objectSid !== null).map((m) => m.objectSid!.toUpperCase());
  if (groupSids.length === 0) return false;
  const sids = new Set((await sidsOf(personGuid)).map((s) => s.toUpperCase()));
  return groupSids.some((sid) => sids.has(sid));
}

interface SubjectRows {
  request: Request;
  /** What must still be published and allowed: the request's privilege, or every privilege of its set. */
  privilegeIds: string[];
  /** Whose maximum the duration is held against: a grant's own privilege; a request's (a set's) all. */
  clippedBy: string[];
  durationSeconds: number;
}

/**
 * The request, the privileges and the duration the subject is about. A grant of a set is refused
 * when any privilege of the set is (all or nothing: its siblings would be rolled back anyway), but
 * clipped by its own privilege's maximum only.
 */
async function subjectRows(facts: PolicyFacts, s: RecheckSubject): Promise<SubjectRows | null> {
  if (s.grantId !== undefined) {
    const row = await facts.grant(s.grantId);
    if (!row) return null;
    const privilegeIds = row.request.setPrivilegeIds ?? [row.privilegeId];
    return { request: row.request, privilegeIds, clippedBy: [row.privilegeId], durationSeconds: s.durationSeconds ?? row.durationSeconds };
  }
  const request = await facts.request(s.requestId);
  if (!request) return null;
  const durationSeconds = s.durationSeconds ?? (request.approvedDurationMinutes ?? request.durationMinutes) * 60;
  const privilegeIds = request.setPrivilegeIds ?? [request.privilegeId];
  return { request, privilegeIds, clippedBy: privilegeIds, durationSeconds };
}

const ACCOUNT_WORDS: Record<AccountRefusal, string> = {
  deleted: "gone",
  disabled: "disabled",
  expired: "expired",
  locked: "locked out",
  "password-must-change": "waiting for a new password",
};

/** The live policy for a request (at a decision) or a grant (at its activation), at `at`. */
export async function recheckPolicy(tx: Transaction, subject: RecheckSubject, facts: PolicyFacts = queriedFacts(tx)): Promise<PolicyRecheck> {
  const refuse = (rule: LiveRefusalRule, message: string): PolicyRecheck => ({ outcome: "refuse", rule, message });
  const rows = await subjectRows(facts, subject);
  if (!rows) return refuse("deleted", "The request no longer exists.");
  const { request, privilegeIds, clippedBy, durationSeconds } = rows;
  const frozenName = request.policy?.group.name ?? "of this request";

  const groupRow = request.accessGroupId ? await facts.group(request.accessGroupId) : undefined;
  if (!groupRow) return refuse("deleted", `The access group ${frozenName} has been deleted.`);
  const group = facts.memo(`policy|${groupRow.id}`, () => toPolicy(groupRow));
  if (!group.enabled) return refuse("disabled", `The access group ${group.name} is disabled.`);

  const requester = await facts.requester(request.requesterId);
  if (!requester) return refuse("membership", "The requester is no longer known to Interim.");
  // At a decision, read now: an approval does not go to an account disabled, expired or deleted in AD.
  // Activations (often thousands at once) leave it to the worker's accounts__offboard, every minute,
  // which revokes such an account's live grants, pending ones included (server/auth/offboarding.ts).
  if (subject.requestId !== undefined) {
    const account = (await readAccountStates([requester.guid])).get(requester.guid.toLowerCase());
    if (account && OFFBOARDING_REFUSALS.includes(account))
      return refuse("membership", `${requester.username}'s account is ${ACCOUNT_WORDS[account]} in the directory.`);
  }
  const activation = await facts.activationState(group.id, requester.guid);
  if (!(await facts.belongs(group.id, requester.guid)))
    return refuse("membership", `${requester.username} is no longer a member of the access group ${group.name}.`);
  if (activation !== "active") {
    const why = activation === "suspended" ? "is suspended" : "waits for an administrator to activate it";
    return refuse("membership", `${requester.username}'s membership in the access group ${group.name} ${why}.`);
  }

  const granted = await facts.privileges(privilegeIds);
  const unpublished = granted.filter((p) => !p.enabled).map((p) => `"${p.name}"`);
  if (unpublished.length || granted.length !== new Set(privilegeIds).size) {
    return refuse("privilege", `${unpublished.join(", ") || "A privilege of this request"} is no longer published.`);
  }

  let credential: CredentialRow | null = null;
  if (request.credentialId) {
    credential = await facts.credential(request.credentialId);
    if (!credential?.present || !credential.objectGuid || !credential.dn) {
      return refuse("credential", `The privileged account ${credential?.username ?? "of this request"} is no longer in the catalog.`);
    }
  }
  if (request.privilegeSetId) {
    const set = await facts.set(request.privilegeSetId);
    if (!set?.enabled) return refuse("privilege-set", `The privilege set ${set ? `"${set.name}" ` : ""}has been disabled.`);
    const account = accountRefusal(set, credential);
    if (account) return refuse("privilege-set", account);
  }

  // A session's request: the group must still allow sessions on its device, and the account is checked as used there.
  const device = await facts.sessionDevice(request.id);
  if (device) {
    const settings = sessionSettingsSchema.parse(groupRow.sessions ?? {});
    if (!settings.enabled || !device.present || !deviceMatches(group.criteria, device)) {
      return refuse("criteria", `The access group ${group.name} no longer allows sessions on ${device.name}.`);
    }
    if (credential) credential = { ...credential, deviceNames: [device.name] };
  }
  const needsDevices = DEVICE_FIELDS.some((field) => group.criteria[field].length > 0);
  const devices = needsDevices ? await facts.presentDevices() : [];
  const devicesByName = indexDevicesByName(devices);
  for (const privilege of granted) {
    if (groupsAllowing([group], { privilege, credential }, devicesByName).length === 0) {
      const forAccount = credential ? ` for the account ${credential.username}` : "";
      return refuse("criteria", `The access group ${group.name} no longer allows "${privilege.name}"${forAccount}.`);
    }
  }

  const location = request.locationCountry ? { country: request.locationCountry, region: request.locationRegion } : null;
  const choice = facts.memo(JSON.stringify(["choice", group.id, subject.at.getTime(), location, request.emergency]), () =>
    chooseGroupForRequest([group], subject.at, location, { emergency: request.emergency }),
  );
  if (!choice.ok) {
    const first = choice.refusals[0];
    return refuse(first?.rule ?? "criteria", `The access group ${group.name} does not allow it at this time: ${first?.reason ?? choice.reason}.`);
  }

  const limiting = granted.filter((p) => clippedBy.includes(p.id));
  const maxMinutes = Math.min(...limiting.map((p) => p.maxDurationMinutes));
  if (durationSeconds > maxMinutes * 60) {
    const which = limiting.length > 1 ? "the shortest current maximum of its privileges" : "the privilege's current maximum";
    return {
      outcome: "clip",
      windowEndsAt: choice.windowEndsAt,
      fromSeconds: durationSeconds,
      toSeconds: maxMinutes * 60,
      note: `clipped to ${minutesText(maxMinutes)} by ${which}`,
    };
  }
  return { outcome: "ok", windowEndsAt: choice.windowEndsAt };
}
