import "server-only";
import type { catalogCredentials } from "@/db/schema";
import { findUser } from "@/server/directory/service";
import { invalid } from "@/server/errors";

/*
 * A credential's owner as an admin sets it in the catalog. Separation of duties rests on it (see
 * server/approvals/self-elevation.ts and server/requests/account-owner.ts), so a name is resolved
 * to a person in AD and kept by objectGUID and DN, never as typed.
 */

type Credential = typeof catalogCredentials.$inferSelect;
export type OwnerColumns = Pick<Credential, "ownerDn" | "ownerGuid" | "ownerName" | "ownerSource">;

const NO_OWNER: OwnerColumns = { ownerDn: null, ownerGuid: null, ownerName: null, ownerSource: null };

/**
 * The owner columns an edit asks for, or undefined for no change. The same name as now changes
 * nothing (a form sends back what it showed); empty hands an admin's owner back to AD, whose
 * managedBy/manager the next catalog sync writes again. Resolved before the transaction: no
 * directory call while rows are locked.
 */
export async function ownerChange(before: OwnerColumns, requested: string | undefined): Promise<OwnerColumns | undefined> {
  if (requested === undefined) return undefined;
  const name = requested.trim();
  if (name === "") return before.ownerSource === "manual" ? NO_OWNER : undefined;
  if (before.ownerName !== null && name.toLowerCase() === before.ownerName) return undefined;
  const person = await findUser(name);
  if (!person) throw invalid(`Nobody named “${name}” was found in Active Directory. Enter the owner's account name.`);
  return { ownerDn: person.dn, ownerGuid: person.objectGuid, ownerName: person.username, ownerSource: "manual" };
}
