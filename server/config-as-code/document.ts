import { z } from "zod";
import type { Criteria, GroupSettings, Limits, LocationPolicy } from "@/shared/access-groups/policy-schemas";
import type { NotificationEvent, WebhookKind } from "@/shared/notifications/schemas";
import type { SessionRules } from "@/shared/sessions/settings-schema";

/*
 * The configuration document (issue 16): every privilege, privilege set, access group (all its
 * tabs, its notification channels included) and the directory's replication settings, by natural
 * keys — names, and AD objects by objectGUID with their DN for readers — never by database ids or
 * timestamps. `documentSchema` checks the shape only (unknown keys are refused, so a typo is an
 * error, not a silent default); the services' own rules run in ./resolve.ts.
 */

export const DOCUMENT_VERSION = 1;

/** Written instead of a Slack/Teams webhook URL (its path is the secret): import keeps the saved one. */
export const KEPT = "kept";

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, "Not a directory objectGUID");
const adObject = z.strictObject({ objectGuid: guid, dn: z.string().optional() });
const list = <T extends z.ZodType>(item: T) => z.array(item).default([]);

const privilegeDoc = z.strictObject({
  name: z.string(),
  group: adObject,
  description: z.string().default(""),
  tags: list(z.string()),
  maxDurationMinutes: z.number(),
  defaultDurationMinutes: z.number(),
  allowExtension: z.boolean().default(false),
  maxTotalMinutes: z.number().nullable().default(null),
  mechanism: z.string().default("direct"),
  enabled: z.boolean().default(true),
  /** Drift page: standing members of the group are only reported (alert) or taken out (remove). */
  drift: z.enum(["alert", "remove"], "Use alert or remove").default("alert"),
});

const setDoc = z.strictObject({
  name: z.string(),
  description: z.string().default(""),
  enabled: z.boolean().default(true),
  allowOwnAccount: z.boolean().default(false),
  privileges: list(z.string()),
  accounts: list(adObject.extend({ username: z.string().optional() })),
});

const webhookDoc = z.strictObject({
  name: z.string(),
  kind: z.string(),
  url: z.string(),
  events: list(z.string()),
  enabled: z.boolean().default(true),
});

const groupDoc = z.strictObject({
  name: z.string(),
  description: z.string().default(""),
  enabled: z.boolean().default(true),
  timeZone: z.string().default("UTC"),
  settings: z.record(z.string(), z.unknown()).default({}),
  criteria: z.record(z.string(), z.unknown()).default({}),
  limits: z.record(z.string(), z.unknown()).default({}),
  locations: z.record(z.string(), z.unknown()).default({}),
  members: list(adObject.extend({ kind: z.enum(["user", "group"]), name: z.string().optional() })),
  activations: list(adObject.omit({ dn: true }).extend({ username: z.string().optional(), state: z.enum(["active", "suspended"]) })),
  approvers: list(adObject.extend({ username: z.string().optional(), level: z.number() })),
  levels: list(z.strictObject({ level: z.number(), requiredApprovals: z.number() })),
  notifications: z
    .strictObject({
      emailEvents: z.array(z.string()).optional(),
      extraRecipients: list(z.string()),
      extraEvents: list(z.string()),
      webhooks: list(webhookDoc),
    })
    .default({ extraRecipients: [], extraEvents: [], webhooks: [] }),
  sessions: z
    .strictObject({
      enabled: z.boolean().default(false),
      recording: z.boolean().default(true),
      maxSessionMinutes: z.number().optional(),
      idleTimeoutMinutes: z.number().optional(),
      privileges: list(z.string()),
      rules: z.unknown().optional(),
    })
    .default({ enabled: false, recording: true, privileges: [] }),
});

export const documentSchema = z.strictObject({
  version: z.literal(DOCUMENT_VERSION, { error: `Only version ${DOCUMENT_VERSION} documents can be imported` }),
  directory: z.strictObject({ replication: z.record(z.string(), z.unknown()).optional() }).default({}),
  privileges: list(privilegeDoc),
  privilegeSets: list(setDoc),
  accessGroups: list(groupDoc),
});
export type RawDocument = z.output<typeof documentSchema>;

/* The canonical form: what export writes and what a valid import resolves to (./resolve.ts). */

export interface AdRef {
  objectGuid: string;
  dn: string;
}

export interface PrivilegeConfig {
  name: string;
  group: AdRef;
  description: string;
  tags: string[];
  maxDurationMinutes: number;
  defaultDurationMinutes: number;
  allowExtension: boolean;
  maxTotalMinutes: number | null;
  mechanism: "direct" | "ttl" | "temporary-group";
  enabled: boolean;
  drift: "alert" | "remove";
}

type PrivilegeSettings = Omit<PrivilegeConfig, "name" | "group" | "drift">;

/** A privilege's own settings (all but its name and group), in the document's key order: the table's columns have the same names. */
export function privilegeSettings(p: PrivilegeSettings): PrivilegeSettings {
  return {
    description: p.description,
    tags: p.tags,
    maxDurationMinutes: p.maxDurationMinutes,
    defaultDurationMinutes: p.defaultDurationMinutes,
    allowExtension: p.allowExtension,
    maxTotalMinutes: p.maxTotalMinutes,
    mechanism: p.mechanism,
    enabled: p.enabled,
  };
}

export interface PrivilegeSetConfig {
  name: string;
  description: string;
  enabled: boolean;
  allowOwnAccount: boolean;
  privileges: string[];
  accounts: (AdRef & { username: string })[];
}

export interface WebhookConfig {
  name: string;
  kind: WebhookKind;
  url: string;
  events: NotificationEvent[];
  enabled: boolean;
}

export interface AccessGroupConfig {
  name: string;
  description: string;
  enabled: boolean;
  timeZone: string;
  settings: GroupSettings;
  criteria: Criteria;
  limits: Limits;
  locations: LocationPolicy;
  members: (AdRef & { kind: "user" | "group"; name: string })[];
  activations: { objectGuid: string; username: string; state: "active" | "suspended" }[];
  approvers: (AdRef & { username: string; level: number })[];
  levels: { level: number; requiredApprovals: number }[];
  notifications: { emailEvents: NotificationEvent[]; extraRecipients: string[]; extraEvents: NotificationEvent[]; webhooks: WebhookConfig[] };
  sessions: { enabled: boolean; recording: boolean; maxSessionMinutes: number; idleTimeoutMinutes: number; privileges: string[]; rules: SessionRules };
}

export interface ReplicationConfig {
  mode: "verify" | "wait" | "both";
  latencySeconds: number;
  maxWaitSeconds: number;
  dcUrls: string[];
}

export interface ConfigDocument {
  version: typeof DOCUMENT_VERSION;
  directory: { replication: ReplicationConfig };
  privileges: PrivilegeConfig[];
  privilegeSets: PrivilegeSetConfig[];
  accessGroups: AccessGroupConfig[];
}

const byText =
  <T>(key: (t: T) => string) =>
  (a: T, b: T) => {
    const x = key(a);
    const y = key(b);
    return x < y ? -1 : x > y ? 1 : 0;
  };

/**
 * Sorts every keyed collection (privileges by group GUID's name, members, approvers, webhooks…),
 * so the same state always gives the same document and the order of a pasted file is no change.
 * Lists whose order is the admin's (criteria patterns, tags, time windows) are kept as they are.
 */
export function canonicalize(doc: ConfigDocument): ConfigDocument {
  return {
    version: doc.version,
    directory: doc.directory,
    privileges: [...doc.privileges].sort(byText((p) => p.name)),
    privilegeSets: [...doc.privilegeSets]
      .map((s) => ({ ...s, privileges: [...s.privileges].sort(), accounts: [...s.accounts].sort(byText((a) => `${a.username}\0${a.objectGuid}`)) }))
      .sort(byText((s) => s.name)),
    accessGroups: [...doc.accessGroups]
      .map((g) => ({
        ...g,
        members: [...g.members].sort(byText((m) => `${m.kind}\0${m.name}\0${m.objectGuid}`)),
        activations: [...g.activations].sort(byText((a) => `${a.username}\0${a.objectGuid}`)),
        approvers: [...g.approvers].sort(byText((a) => `${String(a.level).padStart(3, "0")}\0${a.username}\0${a.objectGuid}`)),
        levels: [...g.levels].sort((a, b) => a.level - b.level),
        notifications: { ...g.notifications, webhooks: [...g.notifications.webhooks].sort(byText((w) => w.name)) },
        sessions: { ...g.sessions, privileges: [...g.sessions.privileges].sort() },
      }))
      .sort(byText((g) => g.name)),
  };
}
