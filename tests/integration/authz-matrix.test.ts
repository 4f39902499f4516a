import { DEFAULT_RANGE } from "@/server/dashboard/schemas";
import { randomUUID } from "node:crypto";
import type { Client } from "ldapts";
import { eq } from "drizzle-orm";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { catalogDevices, deviceSessions, privileges } from "@/db/schema";
import { updateApprovers } from "@/server/access-groups/service";
import type { SessionUser } from "@/server/auth/permissions";
import { submitRequest } from "@/server/requests/service";
import { createCaller, appRouter } from "@/server/trpc/root";
import { actorFor, adminClient, configuredAccessGroup, directoryGuid, ensureAdGroup, ensureAdUser, localUser, publishNamed, resetDatabase } from "./fixtures";

/*
 * Issue 14: who may call what, built from the router itself. Every procedure of appRouter needs an
 * entry here (a new one fails the test until it is classified): the roles allowed, and an input.
 * Disallowed roles must get UNAUTHORIZED or FORBIDDEN; allowed roles must not (NOT_FOUND,
 * BAD_REQUEST, CONFLICT are fine: the caller got past authorization). Inputs name objects that do
 * not exist where a call would change something, or the fixture's own objects where the service's
 * own check (requester, approver, holder) is what is being tested; roles are tried anonymous
 * first and admin last, and destructive entries come last in the table.
 */

type Role = "anonymous" | "requester" | "approver" | "admin";
const ROLES: Role[] = ["anonymous", "requester", "approver", "admin"];
const ADMIN: Role[] = ["admin"];
const SIGNED_IN: Role[] = ["requester", "approver", "admin"];

interface Fixture {
  privilegeId: string;
  groupId: string;
  /** Waiting for it-az-ap's approval. */
  pendingRequestId: string;
  /** it-az-req's grant of a privilege without approval (not activated: no worker runs here). */
  grantId: string;
  /** it-az-req's live session on a device, in it-az Ops (it-az-ap approves it). */
  deviceSessionId: string;
}

interface Entry {
  allowed: Role[];
  input?: (f: Fixture) => unknown;
  /** The service answers NOT_FOUND to whoever may not see the object, so as not to confirm it exists: a refusal too. */
  hidesAsNotFound?: boolean;
}

const nobody = () => ({ id: randomUUID() });
const guid = "00000000-0000-4000-8000-000000000000";

const MATRIX: Record<string, Entry> = {
  "auth.me": { allowed: SIGNED_IN },
  "privileges.available": { allowed: SIGNED_IN },
  "privileges.list": { allowed: ADMIN },
  "privileges.searchGroups": { allowed: ADMIN, input: () => ({ query: "it-az" }) },
  "privileges.byId": { allowed: ADMIN, input: nobody },
  "privileges.page": { allowed: ADMIN, input: () => ({ q: "az" }) },
  "privilegeSets.list": { allowed: ADMIN },
  "privilegeSets.page": { allowed: ADMIN, input: () => ({ q: "az" }) },
  "privilegeSets.options": { allowed: ADMIN },
  "requests.access": { allowed: SIGNED_IN },
  "requests.preview": { allowed: SIGNED_IN, input: (f) => ({ privilegeId: f.privilegeId, durationMinutes: 5 }) },
  "requests.mine": { allowed: SIGNED_IN },
  // Any signed-in person may ask; a privilege outside their own listing answers NOT_FOUND.
  "requests.accounts": { allowed: SIGNED_IN, input: (f) => ({ privilegeId: f.privilegeId }) },
  // Un-starring touches only the caller's own favourites.
  "requests.favourite": { allowed: SIGNED_IN, input: (f) => ({ privilegeId: f.privilegeId, favourite: false }) },
  "requests.timeline": { allowed: ["requester", "approver", "admin"], input: (f) => ({ requestId: f.pendingRequestId }) },
  "grants.live": { allowed: ADMIN },
  "grants.page": { allowed: ADMIN, input: () => ({ state: "active" }) },
  "grants.kerberos": { allowed: SIGNED_IN },
  "audit.actions": { allowed: ADMIN },
  "audit.list": { allowed: ADMIN, input: () => ({}) },
  "audit.verify": { allowed: ADMIN },
  "directory.status": { allowed: ADMIN },
  "directory.setup": { allowed: ADMIN },
  "accessGroups.groups.list": { allowed: ADMIN },
  "accessGroups.groups.page": { allowed: ADMIN, input: () => ({ status: "enabled" }) },
  "accessGroups.groups.byId": { allowed: ADMIN, input: nobody },
  "accessGroups.settings.get": { allowed: ADMIN, input: nobody },
  "accessGroups.settings.timeZones": { allowed: ADMIN },
  "accessGroups.criteria.get": { allowed: ADMIN, input: nobody },
  "accessGroups.criteria.preview": { allowed: ADMIN, input: () => ({ criteria: {} }) },
  "accessGroups.users.list": { allowed: ADMIN, input: nobody },
  "accessGroups.users.page": { allowed: ADMIN, input: nobody },
  "accessGroups.users.search": { allowed: ADMIN, input: () => ({ kind: "user", query: "it-az" }) },
  "accessGroups.approvers.get": { allowed: ADMIN, input: nobody },
  "accessGroups.approvers.search": { allowed: ADMIN, input: () => ({ query: "it-az" }) },
  "accessGroups.limits.get": { allowed: ADMIN, input: nobody },
  "accessGroups.limits.preview": { allowed: ADMIN, input: () => ({ limits: {}, timeZone: "UTC", durationMinutes: 5 }) },
  "accessGroups.locations.get": { allowed: ADMIN, input: nobody },
  "accessGroups.locations.countries": { allowed: ADMIN },
  "accessGroups.notifications.get": { allowed: ADMIN, input: nobody },
  "accessGroups.notifications.deliveries": { allowed: ADMIN, input: nobody },
  "catalog.devices.list": { allowed: ADMIN, input: () => ({}) },
  "catalog.devices.page": { allowed: ADMIN, input: () => ({ removed: "shown" }) },
  "catalog.credentials.list": { allowed: ADMIN, input: () => ({}) },
  "catalog.credentials.page": { allowed: ADMIN, input: () => ({ source: "manual" }) },
  "catalog.sync.latest": { allowed: ADMIN, input: () => ({}) },
  "catalog.sync.byId": { allowed: ADMIN, input: nobody },
  "approvals.inbox": { allowed: SIGNED_IN },
  "approvals.history": { allowed: SIGNED_IN },
  "approvals.emergencies": { allowed: SIGNED_IN },
  "overview.emergencies": { allowed: ADMIN },
  "overview.workers": { allowed: ADMIN },
  "overview.directoryOutages": { allowed: ADMIN },
  "siem.status": { allowed: ADMIN },
  "auditChain.open": { allowed: ADMIN },
  "apiTokens.list": { allowed: ADMIN },
  "dashboard.summary": { allowed: ADMIN },
  "dashboard.timeline": { allowed: ADMIN, input: () => ({ range: DEFAULT_RANGE }) },
  "configuration.export": { allowed: ADMIN },
  "configuration.download": { allowed: ADMIN },
  "drift.status": { allowed: ADMIN },
  "drift.findings": { allowed: ADMIN },
  "drift.resolved": { allowed: ADMIN, input: () => ({}) },
  "drift.settings": { allowed: ADMIN },
  "drift.settingsPage": { allowed: ADMIN, input: () => ({}) },
  "drift.findingsPage": { allowed: ADMIN, input: () => ({ state: "open" }) },
  "deviceSessions.targets": { allowed: SIGNED_IN },
  "deviceSessions.mine": { allowed: SIGNED_IN },
  // Approvers see their groups' sessions; someone who approves nothing is refused.
  "deviceSessions.list": { allowed: ["approver", "admin"], input: () => ({}) },
  "deviceSessions.detail": { allowed: SIGNED_IN, input: (f) => ({ sessionId: f.deviceSessionId }) },
  "deviceSessions.searchCommands": { allowed: ADMIN, input: () => ({ query: "whoami" }) },
  "accessGroups.sessions.get": { allowed: ADMIN, input: nobody },

  // Changes. Objects that do not exist (NOT_FOUND after the check) unless the check is the service's own.
  "privileges.publish": { allowed: ADMIN, input: () => ({ groupGuid: guid, name: "AZ nothing", maxDurationMinutes: 60, defaultDurationMinutes: 5 }) },
  "privileges.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), name: "AZ nothing", maxDurationMinutes: 60, defaultDurationMinutes: 5 }) },
  "privilegeSets.create": { allowed: ADMIN, input: () => ({ name: "AZ set", description: "", privilegeIds: [randomUUID()] }) },
  "privilegeSets.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, name: "AZ set", description: "", privilegeIds: [randomUUID()] }) },
  "accessGroups.groups.create": { allowed: ADMIN, input: () => ({ name: `AZ group ${randomUUID().slice(0, 8)}`, description: "" }) },
  "accessGroups.groups.delete": { allowed: ADMIN, input: nobody },
  "accessGroups.settings.update": {
    allowed: ADMIN,
    input: () => ({ id: randomUUID(), version: 1, name: "AZ", description: "", enabled: true, timeZone: "UTC", settings: {} }),
  },
  "accessGroups.criteria.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, criteria: {} }) },
  "accessGroups.users.add": { allowed: ADMIN, input: () => ({ id: randomUUID(), objectGuid: guid }) },
  "accessGroups.users.remove": { allowed: ADMIN, input: () => ({ id: randomUUID(), memberId: randomUUID() }) },
  "accessGroups.users.setActivation": { allowed: ADMIN, input: () => ({ id: randomUUID(), userGuid: guid, state: "suspended" }) },
  "accessGroups.approvers.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, approvers: [], levels: [] }) },
  "accessGroups.limits.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, limits: {} }) },
  "accessGroups.locations.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, locations: {} }) },
  "accessGroups.notifications.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, notifications: {} }) },
  "accessGroups.notifications.rotateSecret": { allowed: ADMIN, input: () => ({ id: randomUUID(), webhookId: randomUUID() }) },
  "sessions.list": { allowed: ADMIN },
  "sessions.end": { allowed: ADMIN, input: () => ({ userId: randomUUID() }) },
  "catalog.devices.create": { allowed: ADMIN, input: () => ({ name: "" }) },
  "catalog.devices.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), name: "az-nothing" }) },
  "catalog.devices.delete": { allowed: ADMIN, input: nobody },
  "catalog.credentials.create": { allowed: ADMIN, input: () => ({ username: "" }) },
  "catalog.credentials.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), username: "az-nothing" }) },
  "catalog.credentials.delete": { allowed: ADMIN, input: nobody },
  "catalog.sync.request": { allowed: ADMIN },
  "catalog.devices.setEndpoint": { allowed: ADMIN, input: () => ({ deviceId: randomUUID(), sshEnabled: false, sshHost: null, sshPort: 22 }) },
  "catalog.devices.scanHostKey": { allowed: ADMIN, input: () => ({ deviceId: randomUUID() }) },
  "catalog.devices.confirmHostKey": { allowed: ADMIN, input: () => ({ deviceId: randomUUID(), fingerprint: `SHA256:${"A".repeat(43)}` }) },
  "catalog.credentials.setManaged": { allowed: ADMIN, input: () => ({ credentialId: randomUUID(), managed: false }) },
  "accessGroups.sessions.update": { allowed: ADMIN, input: () => ({ id: randomUUID(), version: 1, sessions: {} }) },
  "deviceSessions.start": { allowed: SIGNED_IN, input: () => ({ deviceId: randomUUID() }) },
  "deviceSessions.end": { allowed: SIGNED_IN, input: () => ({ sessionId: randomUUID() }) },
  "deviceSessions.connectToken": { allowed: SIGNED_IN, input: () => ({ sessionId: randomUUID() }) },
  // The owner (requester) ends their session; terminating someone's is for the group's approvers and admins.
  "deviceSessions.terminate": { allowed: ["approver", "admin"], input: (f) => ({ sessionId: f.deviceSessionId }) },
  "directory.recheck": { allowed: ADMIN },
  "apiTokens.create": { allowed: ADMIN, input: () => ({ name: `matrix ${randomUUID()}`, scopes: ["privileges:read"], expiresInDays: 1 }) },
  "apiTokens.revoke": { allowed: ADMIN, input: () => ({ tokenId: randomUUID() }) },
  "auditChain.acknowledge": { allowed: ADMIN, input: () => ({ id: randomUUID(), note: "matrix" }) },
  // A preview changes nothing; an apply against a state hash nobody previewed is refused as stale.
  "configuration.preview": { allowed: ADMIN, input: () => ({ yaml: "version: 1\n" }) },
  "configuration.applyImport": { allowed: ADMIN, input: () => ({ yaml: "version: 1\n", expectedHash: "0".repeat(64) }) },
  "directory.updateReplication": { allowed: ADMIN, input: () => ({ mode: "verify", latencySeconds: 0, maxWaitSeconds: 60 }) },
  "drift.setAction": { allowed: ADMIN, input: () => ({ privilegeId: randomUUID(), action: "alert" }) },
  "drift.accept": { allowed: ADMIN, input: () => ({ findingId: randomUUID() }) },
  "drift.remove": { allowed: ADMIN, input: () => ({ findingId: randomUUID() }) },
  "drift.check": { allowed: ADMIN },
  "grants.revoke": { allowed: ADMIN, input: () => ({ grantId: randomUUID() }) },
  "approvals.review": { allowed: ["approver"], hidesAsNotFound: true, input: (f) => ({ requestId: f.pendingRequestId }) },
  "grants.extend": { allowed: ["requester"], input: (f) => ({ grantId: f.grantId, minutes: 5, justification: "matrix" }) },
  // Only the fixture's own objects, and the allowed role that changes them runs last.
  "requests.submit": { allowed: ["requester"], input: (f) => ({ privilegeId: f.privilegeId, durationMinutes: 5, justification: "matrix" }) },
  "approvals.decide": { allowed: ["approver"], input: (f) => ({ requestId: f.pendingRequestId, decision: "deny" }) },
  // An admin ends someone's grant with grants.revoke; authedProcedure does not carry the admin flag.
  "grants.endEarly": { allowed: ["requester"], input: (f) => ({ grantId: f.grantId }) },
  "requests.cancel": { allowed: ["requester"], input: (f) => ({ requestId: f.pendingRequestId }) },
};

let ad: Client;
const users = {} as Record<Exclude<Role, "anonymous">, SessionUser>;
let fixture: Fixture;

function callerAs(role: Role) {
  const user = role === "anonymous" ? null : users[role];
  return createCaller({ user, ip: "127.0.0.1", userAgent: "vitest", requestId: `authz-${role}`, log: pino({ level: "silent" }) });
}

/** Calls `path` ("a.b.c") on a caller: the code it failed with, or "OK". */
async function outcome(role: Role, path: string, input: unknown): Promise<string> {
  let target: unknown = callerAs(role);
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  try {
    await (target as (i: unknown) => Promise<unknown>)(input);
    return "OK";
  } catch (e) {
    return (e as { code?: string }).code ?? `threw ${(e as Error).message}`;
  }
}

const refusal = new Set(["UNAUTHORIZED", "FORBIDDEN"]);

beforeAll(async () => {
  ad = await adminClient();
  await ensureAdUser(ad, "it-az-req");
  await ensureAdUser(ad, "it-az-ap");
  await ensureAdGroup(ad, "it-az-priv");
  await ensureAdGroup(ad, "it-az-direct");
  await resetDatabase();
  users.admin = await localUser("carol", true);
  users.requester = await localUser("it-az-req");
  users.approver = await localUser("it-az-ap");
  const privilege = await publishNamed(users.admin, "it-az-priv", "AZ Privilege");
  const direct = await publishNamed(users.admin, "it-az-direct", "AZ Direct");
  // Extensions allowed, so a requester's extend meets the grant's state, not the privilege's "no".
  await db.update(privileges).set({ allowExtension: true }).where(eq(privileges.id, direct.id));
  const member = await directoryGuid("it-az-req");
  const group = await configuredAccessGroup(users.admin, {
    name: "it-az Ops",
    settings: { requiresApproval: true, autoGrantOnProvisioning: true },
    criteria: { privilegeNames: ["AZ Privilege"] },
    members: [member],
  });
  await configuredAccessGroup(users.admin, {
    name: "it-az Direct",
    settings: { requiresApproval: false, autoGrantOnProvisioning: true },
    criteria: { privilegeNames: ["AZ Direct"] },
    members: [member],
  });
  await updateApprovers(users.admin, actorFor(users.admin), {
    id: group.id,
    version: group.version,
    approvers: [{ userGuid: await directoryGuid("it-az-ap"), level: 1 }],
    levels: [],
  });
  const pending = await submitRequest(users.requester, actorFor(users.requester), { privilegeId: privilege.id, durationMinutes: 5, justification: "matrix" });
  const granted = await submitRequest(users.requester, actorFor(users.requester), { privilegeId: direct.id, durationMinutes: 5, justification: "matrix" });
  const [device] = await db
    .insert(catalogDevices)
    .values({ name: "it-az-host", source: "manual", sshEnabled: true, dnsHostName: "it-az-host.interim.test" })
    .returning();
  const [deviceSession] = await db
    .insert(deviceSessions)
    .values({
      requestId: pending.requestId,
      userId: users.requester.id,
      deviceId: device!.id,
      accessGroupId: group.id,
      login: "it-az-req",
      host: "it-az-host.interim.test",
      port: 22,
      hostKeySha256: `SHA256:${"A".repeat(43)}`,
      maxMinutes: 5,
      idleMinutes: 5,
      rules: { alert: [], block: [] },
      state: "live",
    })
    .returning();
  fixture = {
    privilegeId: privilege.id,
    groupId: group.id,
    pendingRequestId: pending.requestId,
    grantId: granted.grantId!,
    deviceSessionId: deviceSession!.id,
  };
});
afterAll(async () => {
  await resetDatabase();
  await ad.unbind();
});

describe("authorization matrix", () => {
  const procedures = Object.keys((appRouter._def as unknown as { procedures: Record<string, unknown> }).procedures).sort();

  it("classifies every procedure of the router (a new one needs an entry here)", () => {
    expect(procedures.filter((p) => !(p in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  it("refuses every disallowed role and lets every allowed one past authorization", async () => {
    const wrong: string[] = [];
    for (const [path, entry] of Object.entries(MATRIX)) {
      if (!procedures.includes(path)) continue;
      // Disallowed roles first, then the allowed ones, admin last: the allowed call may change the fixture.
      const order = [...ROLES.filter((r) => !entry.allowed.includes(r)), ...ROLES.filter((r) => entry.allowed.includes(r))];
      for (const role of order) {
        const got = await outcome(role, path, entry.input?.(fixture));
        const allowed = entry.allowed.includes(role);
        const refused = refusal.has(got) || (entry.hidesAsNotFound === true && !allowed && got === "NOT_FOUND");
        if (allowed === refused) wrong.push(`${path} as ${role}: ${got} (expected ${allowed ? "past authorization" : "UNAUTHORIZED/FORBIDDEN"})`);
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);
});
