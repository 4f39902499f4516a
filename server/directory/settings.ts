import "server-only";
import { eq } from "drizzle-orm";
import { db } from "@/db";
import { directorySettings } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { env } from "@/server/env";
import { invalid } from "@/server/errors";
import { REPLICATION_DEFAULTS } from "@/server/grants/replication-policy";
import { DirectoryError } from "./errors";
import { replicationSettingsInput, type ReplicationSettingsInput, type ReplicationSettingsValues } from "./schemas";
import { detectPamFeature, listDomainControllers, readDomainPolicy } from "./domain";

/**
 * Reads the facts Interim needs from the directory (DCs, PAM feature, lockout threshold) and
 * stores them. Errors are stored too, so the dashboard can say what is wrong.
 */
export async function checkDirectory(actor: AuditActor) {
  try {
    const [dcs, pam, policy] = await Promise.all([listDomainControllers(), detectPamFeature(), readDomainPolicy()]);
    const values = {
      domainDn: policy.domainDn,
      pamFeatureEnabled: pam,
      domainControllers: dcs,
      lockoutThreshold: policy.lockoutThreshold,
      checkedAt: new Date(),
      lastError: null,
    };
    await db.transaction(async (tx) => {
      await tx
        .insert(directorySettings)
        .values({ id: 1, ...values })
        .onConflictDoUpdate({ target: directorySettings.id, set: values });
      await recordAudit(tx, actor, [
        {
          action: "directory.checked",
          targetType: "directory",
          targetId: policy.domainDn,
          data: { pamFeatureEnabled: pam, domainControllers: dcs.length, lockoutThreshold: policy.lockoutThreshold },
        },
      ]);
    });
    return values;
  } catch (err) {
    const message = err instanceof DirectoryError ? err.message : `Directory check failed: ${(err as Error).message}`;
    await db
      .insert(directorySettings)
      .values({ id: 1, lastError: message, checkedAt: new Date() })
      .onConflictDoUpdate({ target: directorySettings.id, set: { lastError: message, checkedAt: new Date() } });
    throw err instanceof DirectoryError ? err : new DirectoryError("other", message);
  }
}

function replicationOf(row: typeof directorySettings.$inferSelect | undefined): ReplicationSettingsValues {
  if (!row) return { ...REPLICATION_DEFAULTS, dcUrls: [] };
  return {
    mode: row.replicationMode,
    latencySeconds: row.replicationLatencySeconds,
    maxWaitSeconds: row.replicationMaxWaitSeconds,
    dcUrls: row.replicationDcUrls,
  };
}

export async function getDirectoryStatus(user: SessionUser) {
  assertCan(user, "read", "Directory");
  const [row] = await db.select().from(directorySettings).where(eq(directorySettings.id, 1));
  return {
    urls: env.LDAP_URL,
    baseDn: env.LDAP_BASE_DN,
    serviceAccount: env.LDAP_BIND_DN,
    adminGroupDn: env.INTERIM_ADMIN_GROUP_DN,
    kerberosMaxTicketAgeHours: env.KERBEROS_MAX_TICKET_AGE_HOURS,
    detected: row ?? null,
    replication: replicationOf(row),
  };
}

/**
 * How Interim decides that a change has reached every DC (server/grants/replication.ts). The
 * worker reads the row for each grant, so a change applies to the next grant and removal.
 * Named DCs must be DCs of the domain: the checks bind there with the service account's password,
 * which an Interim admin must not be able to send to a server of their choosing.
 */
export async function updateReplicationSettings(user: SessionUser, actor: AuditActor, input: ReplicationSettingsInput) {
  assertCan(user, "manage", "Directory");
  // Parsed again: scripts and tests call services without tRPC.
  const after = replicationSettingsInput.parse(input);
  // Read now (fresh) and stored with the settings: the checks use the stored list to vet named DCs.
  const listed = after.dcUrls.length ? await listDomainControllers() : null;
  if (listed) {
    const known = new Set(listed.map((d) => d.hostName.toLowerCase()));
    const strangers = after.dcUrls.filter((u) => !known.has(new URL(u).hostname.toLowerCase()));
    if (strangers.length) {
      throw invalid(`Not a domain controller of this domain: ${strangers.join(", ")} (the directory lists ${[...known].join(", ") || "none"}).`);
    }
  }
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(directorySettings).where(eq(directorySettings.id, 1)).for("update");
    const before = replicationOf(row);
    const values = {
      replicationMode: after.mode,
      replicationLatencySeconds: after.latencySeconds,
      replicationMaxWaitSeconds: after.maxWaitSeconds,
      replicationDcUrls: after.dcUrls,
      ...(listed ? { domainControllers: listed } : {}),
    };
    await tx
      .insert(directorySettings)
      .values({ id: 1, ...values })
      .onConflictDoUpdate({ target: directorySettings.id, set: values });
    await recordAudit(tx, actor, [
      { action: "directory.replication_changed", targetType: "directory", targetId: row?.domainDn ?? env.LDAP_BASE_DN, data: { before, after } },
    ]);
    return after;
  });
}

export async function recheckDirectory(user: SessionUser, actor: AuditActor) {
  assertCan(user, "manage", "Directory");
  // Audited as asked, before the check: a check that fails writes no "directory.checked".
  await db.transaction((tx) => recordAudit(tx, actor, [{ action: "directory.recheck_requested", targetType: "directory", targetId: null, data: {} }]));
  return checkDirectory(actor);
}
