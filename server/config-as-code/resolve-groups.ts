import "server-only";
import { db } from "@/db";
import { accessGroups } from "@/db/schema";
import { approversInput, criteriaInput, limitsInput, locationsInput, settingsInput } from "@/server/access-groups/schemas";
import { getPrincipal, type Principal } from "@/server/directory/principals";
import { notificationSettingsSchema } from "@/server/notifications/schemas";
import { notificationsSaveInput } from "@/server/notifications/webhook-targets";
import { sessionSettingsSchema } from "@/shared/sessions/settings-schema";
import { KEPT, type AccessGroupConfig, type ConfigDocument, type PrivilegeConfig, type RawDocument, type WebhookConfig } from "./document";
import { urlIsSecret } from "./export";
import { Issues, placeholderIds, type Path } from "./issues";

/* The access groups of an imported document, tab by tab, through the tabs' own input schemas. */

export interface GroupContext {
  /** Every user and group the document names, read from the directory by objectGUID (lower-cased). */
  principals: Map<string, Principal>;
  /** The URL to store for each webhook (`group\0webhook`): what a "kept" Slack/Teams URL stands for. */
  webhookUrls: Map<string, string>;
}

const ID = "00000000-0000-4000-8000-000000000000";
export const webhookRef = (group: string, webhook: string) => `${group}\0${webhook}`;

type RawGroup = RawDocument["accessGroups"][number];

/** Saved webhooks by group and name: where a "kept" URL comes from. */
async function savedWebhooks(): Promise<Map<string, { kind: string; url: string }>> {
  const rows = await db.select({ name: accessGroups.name, notifications: accessGroups.notifications }).from(accessGroups);
  return new Map(
    rows.flatMap((r) =>
      notificationSettingsSchema.parse(r.notifications ?? {}).webhooks.map((w) => [webhookRef(r.name, w.name), { kind: w.kind, url: w.url }] as const),
    ),
  );
}

class Principals {
  readonly found = new Map<string, Principal>();
  async get(guid: string): Promise<Principal | null> {
    const key = guid.toLowerCase();
    if (!this.found.has(key)) {
      const p = await getPrincipal(key);
      if (!p) return null;
      this.found.set(key, p);
    }
    return this.found.get(key)!;
  }
}

async function resolvePeople(g: RawGroup, at: Path, issues: Issues, principals: Principals) {
  const members: AccessGroupConfig["members"] = [];
  for (const [j, m] of g.members.entries()) {
    const p = await principals.get(m.objectGuid);
    const here = [...at, "members", j, "objectGuid"];
    if (!p) issues.add(here, `No user or group with this objectGUID in the directory${m.dn ? ` (was ${m.dn})` : ""}`);
    else if (p.kind !== m.kind) issues.add(here, `${p.name} is a ${p.kind}, not a ${m.kind}`);
    else if (p.kind === "group" && !p.securityGroup) issues.add(here, `${p.name} is a distribution group; only security groups make people members`);
    else members.push({ kind: p.kind, objectGuid: p.objectGuid.toLowerCase(), dn: p.dn, name: p.name });
  }
  const activations: AccessGroupConfig["activations"] = [];
  for (const [j, a] of g.activations.entries()) {
    const p = await principals.get(a.objectGuid);
    if (!p || p.kind !== "user") issues.add([...at, "activations", j, "objectGuid"], "Not a user in the directory (anymore)");
    else activations.push({ objectGuid: p.objectGuid.toLowerCase(), username: p.name, state: a.state });
  }
  const approvers: AccessGroupConfig["approvers"] = [];
  for (const [j, a] of g.approvers.entries()) {
    const p = await principals.get(a.objectGuid);
    const here = [...at, "approvers", j, "objectGuid"];
    if (!p || p.kind !== "user") issues.add(here, "Not a user in the directory (anymore)");
    else if (p.disabled) issues.add(here, `${p.name} is disabled in the directory and cannot approve`);
    else approvers.push({ objectGuid: p.objectGuid.toLowerCase(), dn: p.dn, username: p.name, level: a.level });
  }
  issues.parse(approversInput, { id: ID, version: 1, approvers: g.approvers.map((a) => ({ userGuid: a.objectGuid, level: a.level })), levels: g.levels }, at);
  return { members, activations, approvers };
}

function resolveWebhooks(g: RawGroup, at: Path, issues: Issues, saved: Map<string, { kind: string; url: string }>, urls: Map<string, string>) {
  return g.notifications.webhooks.map((w, j): WebhookConfig & { realUrl: string } => {
    const before = saved.get(webhookRef(g.name, w.name));
    let realUrl = w.url.trim();
    let shown = realUrl;
    if (urlIsSecret(w.kind)) {
      if (w.url === KEPT) {
        if (!before || before.kind !== w.kind) {
          issues.add(
            [...at, "notifications", "webhooks", j, "url"],
            `"${KEPT}": this access group has no saved ${w.kind} webhook named "${w.name}"; give its URL`,
          );
        }
        // Reported once, here: a stand-in keeps the URL checks below from repeating it.
        realUrl = before?.kind === w.kind ? before.url : "https://kept.invalid/";
        shown = KEPT;
      } else if (before && before.kind === w.kind && before.url === realUrl) shown = KEPT;
      // A new secret URL is never shown or audited in full.
      else shown = URL.canParse(realUrl) ? `${new URL(realUrl).origin}/… (new URL)` : realUrl;
    }
    urls.set(webhookRef(g.name, w.name), realUrl);
    return { name: w.name, kind: w.kind as WebhookConfig["kind"], url: shown, events: w.events as WebhookConfig["events"], enabled: w.enabled, realUrl };
  });
}

export async function resolveGroups(raw: RawDocument, _current: ConfigDocument, privileges: PrivilegeConfig[], issues: Issues) {
  const principals = new Principals();
  const saved = await savedWebhooks();
  const webhookUrls = new Map<string, string>();
  const privilegeNames = new Set(privileges.map((p) => p.name));
  const names = new Set<string>();
  const configs: AccessGroupConfig[] = [];
  for (const [i, g] of raw.accessGroups.entries()) {
    const at = ["accessGroups", i];
    const head = issues.parse(settingsInput, { id: ID, version: 1, ...g }, at);
    const criteria = issues.parse(criteriaInput, { id: ID, version: 1, criteria: g.criteria }, at);
    const limits = issues.parse(limitsInput, { id: ID, version: 1, limits: g.limits }, at);
    const locations = issues.parse(locationsInput, { id: ID, version: 1, locations: g.locations }, at);
    const webhooks = resolveWebhooks(g, at, issues, saved, webhookUrls);
    const webhookIds = placeholderIds(webhooks.map((w) => w.name));
    const notifications = issues.parse(
      notificationsSaveInput,
      {
        id: ID,
        version: 1,
        notifications: { ...g.notifications, webhooks: webhooks.map((w, j) => ({ ...w, url: w.realUrl, realUrl: undefined, id: webhookIds[j] })) },
      },
      at,
    );
    const sessions = issues.parse(
      sessionSettingsSchema,
      { ...g.sessions, privileges: undefined, privilegeIds: placeholderIds(g.sessions.privileges) },
      [...at, "sessions"],
      { privilegeIds: "privileges" },
    );
    g.sessions.privileges.forEach((name, j) => {
      if (!privilegeNames.has(name)) issues.add([...at, "sessions", "privileges", j], `No privilege named "${name}" in this document`);
    });
    if (sessions?.enabled && g.sessions.privileges.length === 0) {
      issues.add([...at, "sessions", "privileges"], "Pick at least one privilege for sessions to add to the account");
    }
    const people = await resolvePeople(g, at, issues, principals);
    if (head && !head.settings.approvalInLevels) {
      g.approvers.forEach((a, j) => {
        if (a.level > 1)
          issues.add([...at, "approvers", j, "level"], "This group does not approve in levels: put every approver on level 1, or turn on approvalInLevels");
      });
    }
    if (head && names.has(head.name)) issues.add([...at, "name"], `Two access groups are named "${head.name}"`);
    if (head) names.add(head.name);
    if (!head || !criteria || !limits || !locations || !notifications || !sessions) continue;
    const used = [...new Set(people.approvers.map((a) => a.level))];
    configs.push({
      name: head.name,
      description: head.description,
      enabled: head.enabled,
      timeZone: head.timeZone,
      settings: head.settings,
      criteria: criteria.criteria,
      limits: limits.limits,
      locations: locations.locations,
      ...people,
      // A level without its own entry needs one approval (as the approvers tab reads it back).
      levels: used.map((level) => ({ level, requiredApprovals: g.levels.find((l) => l.level === level)?.requiredApprovals ?? 1 })),
      notifications: {
        emailEvents: notifications.notifications.emailEvents,
        extraRecipients: notifications.notifications.extraRecipients,
        extraEvents: notifications.notifications.extraEvents,
        webhooks: webhooks.map(({ realUrl: _, ...w }, j) => ({ ...w, events: notifications.notifications.webhooks[j]!.events })),
      },
      sessions: {
        enabled: sessions.enabled,
        recording: sessions.recording,
        maxSessionMinutes: sessions.maxSessionMinutes,
        idleTimeoutMinutes: sessions.idleTimeoutMinutes,
        privileges: [...new Set(g.sessions.privileges)],
        rules: sessions.rules,
      },
    });
  }
  return { configs, context: { principals: principals.found, webhookUrls } satisfies GroupContext };
}
