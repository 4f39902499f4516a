import "server-only";
import type { catalogCredentials } from "@/db/schema";

/*
 * Separation of duties on accounts, the pure part: who an account is and who owns it, compared by
 * objectGUID where both sides have one, else by DN (case-insensitive) — never by Interim user id,
 * since one person may sign in with a personal and a privileged account.
 */

export interface AccountIdentity {
  guid: string | null;
  dn: string | null;
}

type Credential = typeof catalogCredentials.$inferSelect;

const eq = (a: string | null, b: string | null) => a !== null && b !== null && a.toLowerCase() === b.toLowerCase();

export function sameAccount(a: AccountIdentity, b: AccountIdentity): boolean {
  return eq(a.guid, b.guid) || eq(a.dn, b.dn);
}

/** The credential's owner, or null when unowned. An owner DN naming no person still counts (guid null). */
export function ownerOf(c: Pick<Credential, "ownerGuid" | "ownerDn">): AccountIdentity | null {
  return c.ownerDn === null && c.ownerGuid === null ? null : { guid: c.ownerGuid, dn: c.ownerDn };
}

/**
 * Why `requester` may not ask for `credential`, or null: an account owned by someone else needs an
 * access group that allows others' accounts. Unowned accounts and the requester's own are allowed.
 */
export function othersAccountReason(
  credential: Pick<Credential, "username" | "ownerGuid" | "ownerDn" | "ownerName"> | null,
  requester: AccountIdentity,
  group: { name: string; settings: { allowOthersAccounts: boolean } },
): string | null {
  const owner = credential && ownerOf(credential);
  if (!credential || !owner || sameAccount(owner, requester) || group.settings.allowOthersAccounts) return null;
  const whose = credential.ownerName ?? owner.dn ?? "someone else";
  return `${credential.username} belongs to ${whose}, and the access group ${group.name} does not allow requests for other people's accounts.`;
}
