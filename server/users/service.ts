import { and, eq, ne, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { users } from "@/db/schema";
import type { DirectoryUser } from "@/server/directory/service";
import type { SessionUser } from "@/server/auth/permissions";

/** Creates or refreshes the local row for a directory account (keyed by objectGUID). */
export async function upsertDirectoryUser(tx: Executor, person: DirectoryUser, isAdmin: boolean, signedIn: boolean): Promise<SessionUser> {
  const now = new Date();
  // An account deleted and re-created under the same name has a new GUID: free the name first.
  await tx
    .update(users)
    .set({ username: sql`${users.username} || '~' || left(${users.objectGuid}, 8)` })
    .where(and(eq(users.username, person.username), ne(users.objectGuid, person.objectGuid)));
  const [row] = await tx
    .insert(users)
    .values({
      username: person.username,
      dn: person.dn,
      objectGuid: person.objectGuid,
      displayName: person.displayName,
      email: person.email,
      isAdmin,
      adminCheckedAt: now,
      lastSignInAt: signedIn ? now : null,
    })
    .onConflictDoUpdate({
      target: users.objectGuid,
      set: {
        username: person.username,
        dn: person.dn,
        displayName: person.displayName,
        email: person.email,
        isAdmin,
        adminCheckedAt: now,
        ...(signedIn ? { lastSignInAt: now } : {}),
      },
    })
    .returning();
  return { id: row!.id, username: row!.username, dn: row!.dn, displayName: row!.displayName, isAdmin: row!.isAdmin };
}
