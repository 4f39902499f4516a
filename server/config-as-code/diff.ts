import type { ConfigDocument } from "./document";

/*
 * What importing a document would change, object by object: added, removed, or changed with each
 * changed field's value before and after (nested fields by their dotted path; a list as a whole,
 * with the entries it gains and loses). Pure: both sides are canonical documents.
 */

export const OBJECT_KINDS = ["directory", "privilege", "privilegeSet", "accessGroup"] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
  /** Lists: the entries only `after` has, and those only `before` has. */
  added?: unknown[];
  removed?: unknown[];
}

export interface ObjectChange {
  kind: ObjectKind;
  /** The natural key: a privilege's group objectGUID, a set's or access group's name. */
  key: string;
  name: string;
  change: "added" | "changed" | "removed";
  fields: FieldChange[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A stable text for comparing values (object keys sorted, so key order is never a change). */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The fields that differ between two versions of one object. */
export function diffFields(before: unknown, after: unknown, prefix = ""): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => diffFields(before[k], after[k], prefix ? `${prefix}.${k}` : k));
  }
  if (stableJson(before) === stableJson(after)) return [];
  const change: FieldChange = { path: prefix, before: before ?? null, after: after ?? null };
  if (Array.isArray(before) && Array.isArray(after)) {
    const had = new Set(before.map(stableJson));
    const has = new Set(after.map(stableJson));
    change.added = after.filter((v) => !had.has(stableJson(v)));
    change.removed = before.filter((v) => !has.has(stableJson(v)));
  }
  return [change];
}

function diffCollection<T>(kind: ObjectKind, before: T[], after: T[], key: (t: T) => string, name: (t: T) => string): ObjectChange[] {
  const old = new Map(before.map((t) => [key(t), t]));
  const now = new Map(after.map((t) => [key(t), t]));
  const out: ObjectChange[] = [];
  for (const [k, t] of now) {
    const was = old.get(k);
    if (!was) out.push({ kind, key: k, name: name(t), change: "added", fields: [] });
    else {
      const fields = diffFields(was, t);
      if (fields.length) out.push({ kind, key: k, name: name(t), change: "changed", fields });
    }
  }
  for (const [k, t] of old) if (!now.has(k)) out.push({ kind, key: k, name: name(t), change: "removed", fields: [] });
  return out;
}

export const privilegeKey = (p: { group: { objectGuid: string } }) => p.group.objectGuid.toLowerCase();

/** Every object the import would add, change or remove, in the order they are applied and shown. */
export function diffDocuments(current: ConfigDocument, next: ConfigDocument): ObjectChange[] {
  const directory = diffFields(current.directory.replication, next.directory.replication, "replication");
  return [
    ...(directory.length
      ? [{ kind: "directory" as const, key: "replication", name: "Replication settings", change: "changed" as const, fields: directory }]
      : []),
    ...diffCollection("privilege", current.privileges, next.privileges, privilegeKey, (p) => p.name),
    ...diffCollection(
      "privilegeSet",
      current.privilegeSets,
      next.privilegeSets,
      (s) => s.name,
      (s) => s.name,
    ),
    ...diffCollection(
      "accessGroup",
      current.accessGroups,
      next.accessGroups,
      (g) => g.name,
      (g) => g.name,
    ),
  ];
}

export function summarize(changes: readonly ObjectChange[]) {
  return {
    added: changes.filter((c) => c.change === "added").length,
    changed: changes.filter((c) => c.change === "changed").length,
    removed: changes.filter((c) => c.change === "removed").length,
  };
}
