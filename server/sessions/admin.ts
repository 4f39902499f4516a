import "server-only";
import { eq, sql } from "drizzle-orm";
import type { z } from "zod";
import { db } from "@/db";
import { catalogCredentials, catalogDevices } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { invalid, notFound, unavailable } from "@/server/errors";
import { scoped } from "@/server/logger";
import { scanHostKey } from "./gateway/device";
import { confirmHostKeyInput, credentialManagedInput, deviceEndpointInput, type DeviceEndpointInput } from "./schemas";

/*
 * What admins set up for sessions (issue 14): a device's SSH endpoint and its pinned host key, and
 * which catalog accounts Interim manages the password of. Trust in a host key is on first use by a
 * person, never by a machine: a scan only shows the key, an admin confirms exactly what was shown.
 */

type Device = typeof catalogDevices.$inferSelect;
/** A confirmation must follow its scan: an older sighting is scanned again first. */
export const HOST_KEY_CONFIRM_WINDOW_MS = 60 * 60_000;

const log = () => scoped("sessions");

function endpointSnapshot(d: Device) {
  return { sshEnabled: d.sshEnabled, sshHost: d.sshHost, sshPort: d.sshPort, hostKeySha256: d.hostKeySha256 };
}

async function deviceRow(deviceId: string): Promise<Device> {
  const [row] = await db.select().from(catalogDevices).where(eq(catalogDevices.id, deviceId));
  if (!row) throw notFound("No such device in the catalog.");
  return row;
}

/** Sets the endpoint; another host or port is another machine, so its pinned key (and any sighting) goes. */
export async function setDeviceEndpoint(user: SessionUser, actor: AuditActor, raw: z.input<typeof deviceEndpointInput>) {
  assertCan(user, "manage", "Catalog");
  const input: DeviceEndpointInput = deviceEndpointInput.parse(raw);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(catalogDevices).where(eq(catalogDevices.id, input.deviceId)).for("update");
    if (!before) throw notFound("No such device in the catalog.");
    if (input.sshEnabled && !input.sshHost && !before.dnsHostName) {
      throw invalid(`${before.name} has no host name from Active Directory: type the host to connect to.`, "sshHost");
    }
    const moved = before.sshHost !== input.sshHost || before.sshPort !== input.sshPort;
    const [after] = await tx
      .update(catalogDevices)
      .set({
        sshEnabled: input.sshEnabled,
        sshHost: input.sshHost,
        sshPort: input.sshPort,
        ...(moved ? { hostKeySha256: null, hostKeyConfirmedBy: null, hostKeyConfirmedAt: null, hostKeySeen: null, hostKeySeenAt: null } : {}),
        updatedAt: sql`now()`,
      })
      .where(eq(catalogDevices.id, input.deviceId))
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "device.endpoint_updated",
        targetType: "catalog_device",
        targetId: before.id,
        data: { device: before.name, before: endpointSnapshot(before), after: endpointSnapshot(after!) },
      },
    ]);
    return after!;
  });
}

/** Reads the key the endpoint presents now; stored as seen (not trusted) for an admin to compare and confirm. */
export async function scanDeviceHostKey(user: SessionUser, actor: AuditActor, deviceId: string) {
  assertCan(user, "manage", "Catalog");
  const device = await deviceRow(deviceId);
  const host = device.sshHost ?? device.dnsHostName;
  if (!host) throw invalid(`${device.name} has no host to scan: set its SSH endpoint first.`, "sshHost");
  let fingerprint: string;
  try {
    fingerprint = await scanHostKey(host, device.sshPort);
  } catch (err) {
    log().warn({ err, device: device.name, host, port: device.sshPort }, "host key scan failed");
    throw unavailable(`Could not read a host key from ${host}:${device.sshPort}: ${(err as Error).message}`, err);
  }
  await db.transaction(async (tx) => {
    // Only for the endpoint that was scanned: a change meanwhile made this sighting meaningless.
    const [stored] = await tx
      .update(catalogDevices)
      .set({ hostKeySeen: fingerprint, hostKeySeenAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        sql`${catalogDevices.id} = ${device.id} and ${catalogDevices.sshHost} is not distinct from ${device.sshHost} and ${catalogDevices.sshPort} = ${device.sshPort}`,
      )
      .returning({ id: catalogDevices.id });
    if (!stored) throw invalid(`${device.name}'s endpoint changed during the scan: scan again.`);
    await recordAudit(tx, actor, [
      { action: "device.host_key_seen", targetType: "catalog_device", targetId: device.id, data: { device: device.name, fingerprint } },
    ]);
  });
  return {
    host,
    port: device.sshPort,
    fingerprint,
    pinned: device.hostKeySha256,
    differs: device.hostKeySha256 !== null && device.hostKeySha256 !== fingerprint,
  };
}

/** Pins the key the admin was shown; it must be the last one scanned, recently. */
export async function confirmDeviceHostKey(user: SessionUser, actor: AuditActor, raw: z.input<typeof confirmHostKeyInput>) {
  assertCan(user, "manage", "Catalog");
  const input = confirmHostKeyInput.parse(raw);
  return db.transaction(async (tx) => {
    const [device] = await tx.select().from(catalogDevices).where(eq(catalogDevices.id, input.deviceId)).for("update");
    if (!device) throw notFound("No such device in the catalog.");
    if (!device.hostKeySeen || device.hostKeySeen !== input.fingerprint) {
      throw invalid("This is not the key the last scan saw: scan the host key again and confirm what it shows.", "fingerprint");
    }
    if (!device.hostKeySeenAt || Date.now() - device.hostKeySeenAt.getTime() > HOST_KEY_CONFIRM_WINDOW_MS) {
      throw invalid("The last scan is more than an hour old: scan the host key again.", "fingerprint");
    }
    const [after] = await tx
      .update(catalogDevices)
      .set({ hostKeySha256: input.fingerprint, hostKeyConfirmedBy: user.id, hostKeyConfirmedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(catalogDevices.id, device.id))
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "device.host_key_confirmed",
        targetType: "catalog_device",
        targetId: device.id,
        data: { device: device.name, fingerprint: input.fingerprint, previous: device.hostKeySha256 },
      },
    ]);
    return after!;
  });
}

/** Interim sets a managed account's password before and after each session: directory accounts only. */
export async function setCredentialManaged(user: SessionUser, actor: AuditActor, raw: z.input<typeof credentialManagedInput>) {
  assertCan(user, "manage", "Catalog");
  const input = credentialManagedInput.parse(raw);
  return db.transaction(async (tx) => {
    const [credential] = await tx.select().from(catalogCredentials).where(eq(catalogCredentials.id, input.credentialId)).for("update");
    if (!credential) throw notFound("No such account in the catalog.");
    if (input.managed && !credential.objectGuid) {
      throw invalid(`${credential.username} is not an Active Directory account: Interim can only manage the password of accounts synced from the directory.`);
    }
    if (credential.managed === input.managed) return credential;
    const [after] = await tx
      .update(catalogCredentials)
      .set({ managed: input.managed, updatedAt: sql`now()` })
      .where(eq(catalogCredentials.id, credential.id))
      .returning();
    await recordAudit(tx, actor, [
      {
        action: "credential.managed_changed",
        targetType: "catalog_credential",
        targetId: credential.id,
        data: { username: credential.username, managed: input.managed },
      },
    ]);
    return after!;
  });
}
