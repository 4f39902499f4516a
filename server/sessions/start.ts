import "server-only";
import type { z } from "zod";
import { and, eq } from "drizzle-orm";
import { db } from "@/db";
import { catalogCredentials, catalogDevices, deviceSessions, users } from "@/db/schema";
import { situationOf, type Credential, type RequesterSituation } from "@/server/access-groups/enforcement";
import { credentialMatches, deviceMatches, indexDevicesByName } from "@/server/access-groups/policy/criteria";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { invalid, notFound, refused, unauthenticated } from "@/server/errors";
import { submitRequest } from "@/server/requests/service";
import { sessionSettingsSchema, type SessionSettings } from "@/shared/sessions/settings-schema";
import { enqueueSessionPrepare } from "./queue";
import { startSessionInput, type StartSessionInput } from "./schemas";

/*
 * Starting a session (issue 14): the person picks a device their access groups allow and an
 * account (theirs, or a catalog account); the session is an ordinary request for the privileges
 * the group's session settings name, through the same policy and approvals, with the session row
 * written in the request's transaction. The worker prepares it once the grants are in.
 */

type Device = typeof catalogDevices.$inferSelect;

/** The device's SSH endpoint, or why it has none usable. */
export function endpointOf(device: Device): { host: string; port: number; hostKey: string } | { refusal: string } {
  if (!device.present) return { refusal: `${device.name} is no longer in the directory.` };
  if (!device.sshEnabled) return { refusal: `${device.name} has no SSH endpoint. Ask an administrator to add one.` };
  const host = device.sshHost ?? device.dnsHostName;
  if (!host) return { refusal: `${device.name} has no host name. Ask an administrator to set one on its endpoint.` };
  if (!device.hostKeySha256) return { refusal: `${device.name}'s host key has not been confirmed by an administrator yet.` };
  return { host, port: device.sshPort, hostKey: device.hostKeySha256 };
}

/** The groups (in the person's order) whose session settings allow this device with this account. */
export function sessionGroupsFor(situation: RequesterSituation, device: Device, credential: Credential | null) {
  const out: { group: RequesterSituation["groups"][number]; settings: SessionSettings }[] = [];
  for (const m of situation.memberships) {
    if (m.state !== "active" || !m.group.enabled) continue;
    const settings = sessionSettingsSchema.parse(m.group.sessions ?? {});
    const group = situation.groups.find((g) => g.id === m.group.id);
    if (!group || !settings.enabled || settings.privilegeIds.length === 0) continue;
    if (!deviceMatches(group.criteria, device)) continue;
    // The account as used on this device: the criteria's device fields are about the session's device.
    if (credential && !credentialMatches(group.criteria, { ...credential, deviceNames: [device.name] }, situation.devicesByName)) continue;
    // A catalog account that names its devices (AD userWorkstations) is used only on those.
    if (credential && credential.deviceNames.length && !credential.deviceNames.some((n) => n.toLowerCase() === device.name.toLowerCase())) continue;
    out.push({ group, settings });
  }
  return out;
}

async function personOf(user: SessionUser) {
  const [p] = await db
    .select({ id: users.id, objectGuid: users.objectGuid, username: users.username, displayName: users.displayName, dn: users.dn })
    .from(users)
    .where(eq(users.id, user.id));
  if (!p) throw unauthenticated("Sign in again.");
  return p;
}

/** The devices the person may start a session on, each with the accounts they may use there. */
export async function sessionTargets(user: SessionUser, actor: AuditActor) {
  assertCan(user, "request", "DeviceSession");
  const person = await personOf(user);
  const situation = await situationOf(person, actor.ip);
  const devices = await db
    .select()
    .from(catalogDevices)
    .where(and(eq(catalogDevices.present, true), eq(catalogDevices.sshEnabled, true)));
  const credentials = await db.select().from(catalogCredentials).where(eq(catalogCredentials.present, true));
  const full = { ...situation, devicesByName: await allDevicesByName() };
  const targets = [];
  for (const device of devices) {
    const endpoint = endpointOf(device);
    if ("refusal" in endpoint) continue;
    const own = sessionGroupsFor(full, device, null);
    const accounts = credentials
      .filter((c) => c.objectGuid && sessionGroupsFor(full, device, c).length > 0)
      .map((c) => ({ id: c.id, username: c.username, managed: c.managed }));
    if (!own.length && !accounts.length) continue;
    const first =
      own[0] ??
      sessionGroupsFor(
        full,
        device,
        credentials.find((c) => c.id === accounts[0]!.id)!,
      )[0]!;
    targets.push({
      id: device.id,
      name: device.name,
      model: device.model,
      type: device.type,
      host: endpoint.host,
      ownAccount: own.length > 0,
      accounts,
      accessGroup: first.group.name,
      maxSessionMinutes: first.settings.maxSessionMinutes,
      idleTimeoutMinutes: first.settings.idleTimeoutMinutes,
      recording: first.settings.recording,
      requiresApproval: first.group.settings.requiresApproval,
    });
  }
  return targets.sort((a, b) => a.name.localeCompare(b.name));
}

/** Credentials name their devices; a group's device criteria are checked against the whole catalog. */
async function allDevicesByName() {
  return indexDevicesByName(await db.select().from(catalogDevices).where(eq(catalogDevices.present, true)));
}

/** Asks for a session: checked like a request (same policy, approvals, audit), plus the session row. */
export async function startSession(user: SessionUser, actor: AuditActor, raw: z.input<typeof startSessionInput>) {
  assertCan(user, "request", "DeviceSession");
  const input: StartSessionInput = startSessionInput.parse(raw);
  const [device] = await db.select().from(catalogDevices).where(eq(catalogDevices.id, input.deviceId));
  if (!device) throw notFound("No such device in the catalog.");
  const endpoint = endpointOf(device);
  if ("refusal" in endpoint) throw invalid(endpoint.refusal, "device");
  let credential: Credential | null = null;
  if (input.credentialId) {
    const [c] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.credentialId));
    if (!c || !c.present || !c.objectGuid) throw notFound("This privileged account is not in the catalog (anymore).");
    credential = c;
  }
  const person = await personOf(user);
  const situation = await situationOf(person, actor.ip);
  const devicesByName = await allDevicesByName();
  const [binding] = sessionGroupsFor({ ...situation, devicesByName }, device, credential);
  if (!binding) {
    throw refused(
      "session",
      `None of your access groups allows sessions on ${device.name}${credential ? ` as ${credential.username}` : " with your own account"}.`,
    );
  }
  const { group, settings } = binding;
  const durationMinutes = Math.min(input.durationMinutes ?? settings.maxSessionMinutes, settings.maxSessionMinutes);
  const login = credential?.username ?? person.username;
  let sessionId = "";
  const result = await submitRequest(
    user,
    actor,
    {
      privilegeId: settings.privilegeIds[0],
      credentialId: credential?.id ?? null,
      durationMinutes,
      justification: input.justification,
      changeId: input.changeId,
      governanceCode: input.governanceCode,
      emergency: input.emergency,
    },
    {
      groupId: group.id,
      deviceName: device.name,
      privilegeIds: settings.privilegeIds,
      onWritten: async (tx, requestId, granted) => {
        const [row] = await tx
          .insert(deviceSessions)
          .values({
            requestId,
            userId: user.id,
            deviceId: device.id,
            credentialId: credential?.id ?? null,
            accessGroupId: group.id,
            login,
            host: endpoint.host,
            port: endpoint.port,
            hostKeySha256: endpoint.hostKey,
            recording: settings.recording,
            maxMinutes: durationMinutes,
            idleMinutes: settings.idleTimeoutMinutes,
            rules: settings.rules,
            plannedActivity: input.plannedActivity,
          })
          .returning({ id: deviceSessions.id });
        sessionId = row!.id;
        await recordAudit(tx, actor, [
          {
            action: "session.requested",
            targetType: "device_session",
            targetId: sessionId,
            data: { requestId, device: device.name, login, accessGroup: group.name, awaitingApproval: !granted },
          },
        ]);
        if (granted) await enqueueSessionPrepare(tx, sessionId);
      },
    },
  );
  return { sessionId, requestId: result.requestId, status: result.status, accessGroup: result.accessGroup };
}
