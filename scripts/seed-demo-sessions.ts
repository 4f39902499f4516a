/**
 * The demo's recorded sessions (issue 14), on the local lab's SSH target LNX01 (scripts/ssh-target.sh):
 * the catalog synced from AD, LNX01's SSH endpoint with its host key pinned (scanned, and confirmed
 * only when it is the key the lab wrote to .data/samba/env), adm-alice managed by Interim, and the
 * access group "Linux sessions": alice may start a recorded session on LNX01 as adm-alice, which
 * adds her account to JIT Linux Admins (sudo there) for the session's length. Idempotent; skipped
 * without the lab (SSH_TARGET_*).
 */
import { eq } from "drizzle-orm";
import { db } from "@/db";
import { accessGroups, catalogCredentials, catalogDevices, catalogSyncRuns, privileges } from "@/db/schema";
import { addMember } from "@/server/access-groups/members";
import { createAccessGroup, toPolicy, updateCriteria, updateSessions, updateSettings } from "@/server/access-groups/service";
import type { AuditActor } from "@/server/audit/events";
import type { SessionUser } from "@/server/auth/permissions";
import { runCatalogSync } from "@/server/catalog/sync";
import { findUser, searchGroups } from "@/server/directory/service";
import { publishPrivilege } from "@/server/privileges/service";
import { confirmDeviceHostKey, scanDeviceHostKey, setCredentialManaged, setDeviceEndpoint } from "@/server/sessions/admin";

const GROUP = "Linux sessions";
const PRIVILEGE = "Linux sudo (LNX01)";

export async function seedDemoSessions(admin: SessionUser, actor: AuditActor): Promise<string> {
  const port = Number(process.env.SSH_TARGET_PORT);
  const pinned = process.env.SSH_TARGET_HOSTKEY_SHA256;
  if (!process.env.SSH_TARGET_HOST || !port || !pinned) return "skipped (no SSH target configured)";
  if ((await db.select({ id: accessGroups.id }).from(accessGroups).where(eq(accessGroups.name, GROUP))).length) return "already seeded";

  const [run] = await db.insert(catalogSyncRuns).values({ trigger: "demo seed", requestedBy: admin.id }).returning();
  await runCatalogSync(run!.id);
  const [device] = await db.select().from(catalogDevices).where(eq(catalogDevices.name, "LNX01"));
  if (!device) return "skipped (LNX01 is not in the directory: run scripts/ad-up.sh)";
  await setDeviceEndpoint(admin, actor, { deviceId: device.id, sshEnabled: true, sshHost: null, sshPort: port });
  const scan = await scanDeviceHostKey(admin, actor, device.id);
  if (scan.fingerprint !== pinned) throw new Error(`LNX01 presents ${scan.fingerprint}, the lab's key is ${pinned}: not pinning it`);
  await confirmDeviceHostKey(admin, actor, { deviceId: device.id, fingerprint: scan.fingerprint });
  const [account] = await db.select().from(catalogCredentials).where(eq(catalogCredentials.username, "adm-alice"));
  if (account) await setCredentialManaged(admin, actor, { credentialId: account.id, managed: true });

  let [privilege] = await db.select().from(privileges).where(eq(privileges.name, PRIVILEGE));
  if (!privilege) {
    const group = (await searchGroups("JIT Linux Admins")).find((g) => g.name === "JIT Linux Admins");
    if (!group) return "skipped (JIT Linux Admins is not in the directory)";
    // Published already under another name (the bench's sessions phase publishes it as its own): reused.
    [privilege] = await db.select().from(privileges).where(eq(privileges.groupGuid, group.objectGuid));
    privilege ??= await publishPrivilege(admin, actor, {
      groupGuid: group.objectGuid,
      name: PRIVILEGE,
      description: group.description,
      maxDurationMinutes: 60,
      defaultDurationMinutes: 30,
      allowExtension: true,
      tags: ["sessions"],
    });
  }
  const created = await createAccessGroup(admin, actor, {
    name: GROUP,
    description: "Recorded sessions on LNX01 as adm-alice, with sudo for their length",
    timeZone: "Europe/Paris",
  });
  let row = await updateSettings(admin, actor, {
    id: created.id,
    version: created.version,
    name: GROUP,
    description: created.description,
    enabled: true,
    timeZone: created.timeZone,
    settings: { ...toPolicy(created).settings, requiresJustification: true, autoGrantOnProvisioning: true },
  });
  row = await updateCriteria(admin, actor, {
    id: row.id,
    version: row.version,
    criteria: { ...toPolicy(row).criteria, deviceNames: ["LNX01"], credentialUsernames: ["adm-alice"], privilegeNames: [PRIVILEGE] },
  });
  await updateSessions(admin, actor, {
    id: row.id,
    version: row.version,
    sessions: {
      enabled: true,
      recording: true,
      maxSessionMinutes: 30,
      idleTimeoutMinutes: 15,
      privilegeIds: [privilege!.id],
      rules: { alert: ["cat /etc/shadow*"], block: ["rm -rf /*", "shutdown*", "reboot*"] },
    },
  });
  const alice = await findUser("alice");
  if (alice) await addMember(admin, actor, row.id, alice.objectGuid);
  return "seeded";
}
