import "server-only";
import { createHash } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { Document } from "yaml";
import type { Executor } from "@/db";
import { accessGroupActivations, accessGroupMembers, accessGroups, directorySettings, privilegeDriftSettings, privileges } from "@/db/schema";
import { criteriaSchema, groupSettingsSchema, limitsSchema, locationPolicySchema } from "@/server/access-groups/policy/schemas";
import { readApprovers } from "@/server/access-groups/service";
import { REPLICATION_DEFAULTS } from "@/server/grants/replication-policy";
import { notificationSettingsSchema } from "@/server/notifications/schemas";
import { loadSets } from "@/server/privilege-sets/store";
import { sessionSettingsSchema } from "@/shared/sessions/settings-schema";
import { canonicalize, DOCUMENT_VERSION, KEPT, privilegeSettings, type AccessGroupConfig, type ConfigDocument, type WebhookConfig } from "./document";

/*
 * The current configuration as a canonical document, and as YAML. Deterministic: the same state
 * gives the same bytes (no ids, no timestamps, keyed collections sorted, keys in a fixed order).
 */

const HEADER = `Interim configuration (version ${DOCUMENT_VERSION}): privileges, privilege sets, access groups
(every tab, notification channels included) and the directory's replication settings.
Objects are named by natural keys: names, and AD objects by objectGUID (the DN is for readers;
import re-reads it from the directory). Privileges are matched by their group's objectGUID.
Secrets are never written here:
  - webhook signing secrets are kept: a webhook imported under a name its access group already
    has keeps its secret; a new webhook gets a fresh one, shown once after the import;
  - Slack and Teams webhook URLs (their path is the secret) are written as "${KEPT}": import keeps
    the URL saved for that webhook name; to add one, replace "${KEPT}" with its URL.
Detected directory facts (DCs, PAM feature, lockout) and the catalog are not configuration.`;

/** Slack and Teams put their credential in the URL; generic webhooks are authenticated by the signing secret. */
export const urlIsSecret = (kind: string) => kind === "slack" || kind === "teams";

function webhookOut(w: { name: string; kind: WebhookConfig["kind"]; url: string; events: WebhookConfig["events"]; enabled: boolean }): WebhookConfig {
  return { name: w.name, kind: w.kind, url: urlIsSecret(w.kind) ? KEPT : w.url, events: w.events, enabled: w.enabled };
}

async function readGroups(executor: Executor, privilegeNames: Map<string, string>): Promise<AccessGroupConfig[]> {
  const rows = await executor.select().from(accessGroups).orderBy(asc(accessGroups.name));
  const members = await executor.select().from(accessGroupMembers);
  const activations = await executor.select().from(accessGroupActivations).where(eq(accessGroupActivations.source, "admin"));
  const out: AccessGroupConfig[] = [];
  for (const row of rows) {
    const approvers = await readApprovers(executor, row.id);
    const notifications = notificationSettingsSchema.parse(row.notifications ?? {});
    const sessions = sessionSettingsSchema.parse(row.sessions ?? {});
    out.push({
      name: row.name,
      description: row.description,
      enabled: row.enabled,
      timeZone: row.timeZone,
      settings: groupSettingsSchema.parse(row.settings),
      criteria: criteriaSchema.parse(row.criteria),
      limits: limitsSchema.parse(row.limits),
      locations: locationPolicySchema.parse(row.locations),
      members: members.filter((m) => m.groupId === row.id).map((m) => ({ kind: m.kind, objectGuid: m.objectGuid.toLowerCase(), dn: m.dn, name: m.name })),
      activations: activations
        .filter((a) => a.groupId === row.id && a.state !== "pending")
        .map((a) => ({ objectGuid: a.userGuid.toLowerCase(), username: a.username, state: a.state as "active" | "suspended" })),
      approvers: approvers.approvers.map((a) => ({ objectGuid: a.userGuid.toLowerCase(), dn: a.dn, username: a.username, level: a.level })),
      levels: approvers.levels,
      notifications: {
        emailEvents: notifications.emailEvents,
        extraRecipients: notifications.extraRecipients,
        extraEvents: notifications.extraEvents,
        webhooks: notifications.webhooks.map(webhookOut),
      },
      sessions: {
        enabled: sessions.enabled,
        recording: sessions.recording,
        maxSessionMinutes: sessions.maxSessionMinutes,
        idleTimeoutMinutes: sessions.idleTimeoutMinutes,
        // A privilege deleted since cannot be named: it is simply not there.
        privileges: sessions.privilegeIds.flatMap((id) => privilegeNames.get(id) ?? []),
        rules: sessions.rules,
      },
    });
  }
  return out;
}

/** The configuration stored now, as a canonical document. */
export async function readConfiguration(executor: Executor): Promise<ConfigDocument> {
  const [settings] = await executor.select().from(directorySettings).where(eq(directorySettings.id, 1));
  const privilegeRows = await executor.select().from(privileges).orderBy(asc(privileges.name));
  const names = new Map(privilegeRows.map((p) => [p.id, p.name]));
  const drift = new Map((await executor.select().from(privilegeDriftSettings)).map((d) => [d.privilegeId, d.action]));
  const sets = await loadSets(executor);
  return canonicalize({
    version: DOCUMENT_VERSION,
    directory: {
      replication: settings
        ? {
            mode: settings.replicationMode,
            latencySeconds: settings.replicationLatencySeconds,
            maxWaitSeconds: settings.replicationMaxWaitSeconds,
            dcUrls: settings.replicationDcUrls,
          }
        : { ...REPLICATION_DEFAULTS, dcUrls: [] },
    },
    privileges: privilegeRows.map((p) => ({
      name: p.name,
      group: { objectGuid: p.groupGuid.toLowerCase(), dn: p.groupDn },
      ...privilegeSettings(p),
      drift: drift.get(p.id) ?? "alert",
    })),
    privilegeSets: sets.map((s) => ({
      name: s.name,
      description: s.description,
      enabled: s.enabled,
      allowOwnAccount: s.allowOwnAccount,
      privileges: s.privileges.map((p) => p.name),
      accounts: s.accounts.map((a) => ({ objectGuid: (a.objectGuid ?? "").toLowerCase(), dn: a.dn ?? "", username: a.username })),
    })),
    accessGroups: await readGroups(executor, names),
  });
}

export function toYaml(doc: ConfigDocument): string {
  const yaml = new Document(doc);
  yaml.commentBefore = HEADER.split("\n")
    .map((l) => ` ${l}`)
    .join("\n");
  return yaml.toString({ lineWidth: 0 });
}

/** What a preview was computed against: the apply is refused when the stored configuration no longer hashes to it. */
export function stateHash(doc: ConfigDocument): string {
  return createHash("sha256").update(toYaml(doc)).digest("hex");
}
