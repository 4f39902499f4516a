import "server-only";
import { eq, inArray, or, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { catalogCredentials, requests, users } from "@/db/schema";
import { ownerOf, sameAccount, type AccountIdentity } from "@/server/catalog/ownership";
import { forbidden, unauthenticated } from "@/server/errors";

/*
 * Separation of duties on accounts, at the decision. Comparing Interim users (requester ≠ approver)
 * is not enough: a privileged account that is also an approver (adm-bob) could approve its own
 * elevation, the owner of an account could approve someone else's use of it, and a person could
 * approve their own request while signed in with a second account they own. Identities come from
 * our rows (written from AD at sign-in and by the catalog sync), compared by objectGUID or DN.
 */

type Request = Pick<typeof requests.$inferSelect, "requesterId" | "credentialId" | "targetDn">;

/** Refuses (403) when the approver is, owns, or is owned by an account on the requesting side. */
export async function assertNotSelfElevation(tx: Executor, request: Request, approverId: string): Promise<void> {
  const people = await tx
    .select({ id: users.id, guid: users.objectGuid, dn: users.dn, username: users.username })
    .from(users)
    .where(inArray(users.id, [approverId, request.requesterId]));
  const approver = people.find((p) => p.id === approverId);
  const requester = people.find((p) => p.id === request.requesterId) ?? null;
  if (!approver) throw unauthenticated("Sign in again.");
  const guids = [approver.guid, requester?.guid].filter((g): g is string => !!g).map((g) => g.toLowerCase());
  const catalog = await tx
    .select()
    .from(catalogCredentials)
    .where(
      or(request.credentialId ? eq(catalogCredentials.id, request.credentialId) : undefined, inArray(sql`lower(${catalogCredentials.objectGuid})`, guids)),
    );
  const credential = request.credentialId ? catalog.find((c) => c.id === request.credentialId) : undefined;
  const entryOf = (who: AccountIdentity) => catalog.find((c) => sameAccount({ guid: c.objectGuid, dn: c.dn }, who));

  // The account the grant would elevate: the credential, else the requester's own (and the DN frozen on the request).
  const target: AccountIdentity = credential ? { guid: credential.objectGuid, dn: credential.dn } : { guid: requester?.guid ?? null, dn: request.targetDn };
  const name = credential?.username ?? requester?.username ?? request.targetDn;
  const me: AccountIdentity = { guid: approver.guid, dn: approver.dn };
  if (sameAccount(me, target) || sameAccount(me, { guid: null, dn: request.targetDn })) {
    throw forbidden(`You cannot decide on access for ${name}: it is your own account.`);
  }
  const targetEntry = credential ?? entryOf(target);
  const targetOwner = targetEntry ? ownerOf(targetEntry) : null;
  if (targetOwner && sameAccount(me, targetOwner)) throw forbidden(`You cannot decide on access for ${name}: you own that account.`);
  // Signed in with an account that belongs to someone on the requesting side (bob approving bob's request as adm-bob).
  const myEntry = entryOf(me);
  const myOwner = myEntry ? ownerOf(myEntry) : null;
  const requestingSide = [target, requester ? { guid: requester.guid, dn: requester.dn } : null, targetOwner].filter((x): x is AccountIdentity => x !== null);
  if (myOwner && requestingSide.some((who) => sameAccount(myOwner, who))) {
    throw forbidden(
      `You cannot decide on this request: the account you signed in with (${approver.username}) belongs to ${myEntry!.ownerName ?? myOwner.dn}, who is on the requesting side.`,
    );
  }
}

/**
 * SQL for the inbox: true unless the approver is the request's target account or owns it (the
 * check above is what counts; this keeps buttons off requests it would refuse).
 */
export function notSelfElevationSql(approverId: string) {
  return sql`not exists (
    select 1 from ${users} a left join ${catalogCredentials} c on c.id = ${requests.credentialId}
    where a.id = ${approverId} and (
      lower(${requests.targetDn}) = lower(a.dn) or lower(c.object_guid) = lower(a.object_guid)
      or lower(c.owner_guid) = lower(a.object_guid) or lower(c.owner_dn) = lower(a.dn)))`;
}
