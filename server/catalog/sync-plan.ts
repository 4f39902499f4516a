import "server-only";
import type { CatalogChange, catalogCredentials, catalogDevices } from "@/db/schema";
import type { DirectoryAccount, DirectoryComputer } from "@/server/directory/catalog";

/*
 * The catalog sync's plan, pure: what AD has and what the catalog has → the steps that make the
 * catalog match (server/catalog/sync.ts applies them). The ownership rules the plan follows are
 * written at the top of sync.ts.
 */

export const MAX_STORED_CHANGES = 500;

type DeviceRow = typeof catalogDevices.$inferSelect;
type CredentialRow = typeof catalogCredentials.$inferSelect;
export type DeviceValues = typeof catalogDevices.$inferInsert;
export type CredentialValues = typeof catalogCredentials.$inferInsert;

export type FieldChanges = NonNullable<CatalogChange["fields"]>;

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/** The fields of `next` that differ from `current`, old → new. */
export function diffFields<T extends Record<string, unknown>>(current: T, next: Partial<T>): FieldChanges {
  const fields: FieldChanges = {};
  for (const key of Object.keys(next) as (keyof T & string)[]) {
    if (!same(current[key], next[key])) fields[key] = { from: current[key] ?? null, to: next[key] ?? null };
  }
  return fields;
}

export type SyncStep<V> =
  | { op: "insert"; values: V; change: CatalogChange }
  | { op: "update"; id: string; set: Partial<V> & { present?: boolean }; change: CatalogChange }
  /** Unchanged: counted for progress, not written (a steady-state sync writes almost nothing). */
  | { op: "seen"; id: string }
  | { op: "remove"; id: string; change: CatalogChange };

interface SyncedRow extends Record<string, unknown> {
  id: string;
  objectGuid: string | null;
  present: boolean;
}

/**
 * Turns "what AD has" and "what the catalog has" into steps. `owned` is the AD-owned part of an
 * object; `extra` adds fields the sync may set on an existing row (a device's website).
 */
function plan<Row extends SyncedRow, Ad extends { objectGuid: string }, V extends Record<string, unknown>>(opts: {
  kind: CatalogChange["kind"];
  existing: Row[];
  fromAd: Ad[];
  label: (x: Record<string, unknown>) => string;
  owned: (ad: Ad) => Partial<Row>;
  extra?: (row: Row, ad: Ad) => Partial<Row>;
  insert: (ad: Ad) => V;
}): SyncStep<V>[] {
  const byGuid = new Map(opts.existing.map((r) => [r.objectGuid, r]));
  const seen = new Set<string>();
  const steps: SyncStep<V>[] = [];
  for (const ad of opts.fromAd) {
    seen.add(ad.objectGuid);
    const row = byGuid.get(ad.objectGuid);
    if (!row) {
      const values = opts.insert(ad);
      steps.push({ op: "insert", values, change: { kind: opts.kind, name: opts.label(values), change: "added" } });
      continue;
    }
    const next = { ...opts.owned(ad), ...opts.extra?.(row, ad) };
    const fields = diffFields(row, next);
    const set = Object.fromEntries(Object.keys(fields).map((k) => [k, next[k]])) as Partial<V>;
    const name = opts.label({ ...row, ...next });
    const hasFields = Object.keys(fields).length > 0;
    if (!row.present) {
      steps.push({
        op: "update",
        id: row.id,
        set: { ...set, present: true },
        change: { kind: opts.kind, name, change: "restored", ...(hasFields ? { fields } : {}) },
      });
    } else if (hasFields) {
      steps.push({ op: "update", id: row.id, set, change: { kind: opts.kind, name, change: "updated", fields } });
    } else {
      steps.push({ op: "seen", id: row.id });
    }
  }
  for (const row of opts.existing) {
    if (row.present && row.objectGuid && !seen.has(row.objectGuid)) {
      steps.push({ op: "remove", id: row.id, change: { kind: opts.kind, name: opts.label(row), change: "removed" } });
    }
  }
  return steps;
}

export type DeviceState = Pick<DeviceRow, "id" | "objectGuid" | "present" | "name" | "model" | "type" | "dn" | "website" | "dnsHostName">;
export type CredentialState = Pick<
  CredentialRow,
  "id" | "objectGuid" | "present" | "username" | "displayName" | "type" | "dn" | "deviceNames" | "ownerDn" | "ownerGuid" | "ownerName" | "ownerSource"
>;

/** The owner columns for what AD says (managedBy/manager), or none. */
export function ownerFromDirectory(owner: DirectoryAccount["owner"]): Pick<CredentialValues, "ownerDn" | "ownerGuid" | "ownerName" | "ownerSource"> {
  return { ownerDn: owner?.dn ?? null, ownerGuid: owner?.guid ?? null, ownerName: owner?.username ?? null, ownerSource: owner ? "directory" : null };
}

export function planDeviceSync(existing: DeviceState[], fromAd: DirectoryComputer[]): SyncStep<DeviceValues>[] {
  return plan<DeviceState, DirectoryComputer, DeviceValues>({
    kind: "device",
    existing,
    fromAd,
    label: (x) => String(x.name ?? ""),
    // dNSHostName is the default host of the device's SSH endpoint (an admin overrides it with sshHost).
    owned: (c) => ({ name: c.name, model: c.model, type: c.type, dn: c.dn, dnsHostName: c.dnsHostName }),
    // The website rule (see the top of this file): AD fills it only while the row has none.
    extra: (row, c) => (row.website === null && c.website ? { website: c.website } : {}),
    insert: (c) => ({
      source: "directory",
      objectGuid: c.objectGuid,
      dn: c.dn,
      name: c.name,
      model: c.model,
      type: c.type,
      website: c.website,
      dnsHostName: c.dnsHostName,
    }),
  });
}

export function planCredentialSync(existing: CredentialState[], fromAd: DirectoryAccount[]): SyncStep<CredentialValues>[] {
  return plan<CredentialState, DirectoryAccount, CredentialValues>({
    kind: "credential",
    existing,
    fromAd,
    label: (x) => String(x.username ?? ""),
    owned: (a) => ({ username: a.username, displayName: a.displayName, type: a.type, deviceNames: a.deviceNames, dn: a.dn }),
    // The owner follows AD until an admin sets one (source "manual"); clearing it hands it back.
    extra: (row, a) => (row.ownerSource === "manual" ? {} : ownerFromDirectory(a.owner)),
    insert: (a) => ({
      ...ownerFromDirectory(a.owner),
      source: "directory",
      objectGuid: a.objectGuid,
      dn: a.dn,
      username: a.username,
      displayName: a.displayName,
      type: a.type,
      deviceNames: a.deviceNames,
    }),
  });
}

/**
 * Exact counts; the list itself is capped so a first sync of 50,000 objects stays a small row.
 * At the cap an update, removal or restore takes the place of an addition: those are the changes
 * an admin most needs to see.
 */
export class ChangeLog {
  added = 0;
  updated = 0;
  removed = 0;
  readonly changes: CatalogChange[] = [];

  constructor(private readonly cap = MAX_STORED_CHANGES) {}

  record(change: CatalogChange) {
    if (change.change === "added" || change.change === "restored") this.added += 1;
    else if (change.change === "updated") this.updated += 1;
    else this.removed += 1;
    if (this.changes.length < this.cap) {
      this.changes.push(change);
      return;
    }
    if (change.change === "added") return;
    const lastAdded = this.changes.findLastIndex((c) => c.change === "added");
    if (lastAdded >= 0) {
      this.changes.splice(lastAdded, 1);
      this.changes.push(change);
    }
  }
}
