import "server-only";
import type { Entry } from "ldapts";
import { DirectoryError } from "./errors";

/*
 * Reading search entries and addressing objects: the small helpers every directory module needs.
 * A leaf module (service.ts re-exports them), so that modules service.ts itself relies on — the
 * identity checks before every membership add — can use them without an import cycle.
 */

/** LDAP_MATCHING_RULE_IN_CHAIN: membership through any depth of nesting. */
export const IN_CHAIN = "1.2.840.113556.1.4.1941";

export function str(entry: Entry, attr: string): string | null {
  const v = entry[attr];
  if (v === undefined) return null;
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined) return null;
  return Buffer.isBuffer(first) ? first.toString("utf8") : String(first);
}

export function strs(entry: Entry, attr: string): string[] {
  const v = entry[attr];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => (Buffer.isBuffer(x) ? x.toString("utf8") : String(x)));
}

export function buf(entry: Entry, attr: string): Buffer {
  const v = entry[attr];
  const first = Array.isArray(v) ? v[0] : v;
  if (!Buffer.isBuffer(first)) throw new DirectoryError("other", `${entry.dn} has no binary ${attr}`);
  return first;
}

const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `<GUID=…>`: an object reference that survives renames and moves (AD and Samba accept it as a DN). */
export function guidRef(guid: string): string {
  if (!GUID_RE.test(guid)) throw new DirectoryError("invalid-input", `Not a GUID: ${guid}`);
  return `<GUID=${guid.toLowerCase()}>`;
}
