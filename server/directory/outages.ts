import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { db } from "@/db";
import { directoryOutages } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { env } from "@/server/env";
import { scoped } from "@/server/logger";
import { newClient } from "./connection";
import { DirectoryError, toDirectoryError } from "./errors";

/*
 * Directory outages (issue 15): a write that failed because no configured DC answered opens one
 * (a row and ONE audit event for all the grants it holds up); the worker's probe
 * (worker/directory-probe.ts) closes it the moment a DC answers again and then runs what waited.
 * An outage is of the LDAP_URL list as a whole: the connection fails over to the next URL, so a
 * write only fails as "unreachable" when none answered.
 */

/** What an outage row is keyed by: the URLs the service connection tries, in order. */
export const outageDcUrl = () => env.LDAP_URL.join(",");

/** Whether this error means "the DC did not answer" (an outage), as opposed to a refusal. */
export function isDirectoryUnreachable(err: unknown): err is DirectoryError {
  return err instanceof DirectoryError && err.kind === "unreachable";
}

const globalForOutage = globalThis as unknown as { interimOutageOpen?: { open: boolean } };
const known = (globalForOutage.interimOutageOpen ??= { open: false });

/**
 * Whether this process knows of an open outage (it noted one, or its probe saw one in the
 * database): activations and sweeps wait for the probe instead of retrying into it.
 */
export const outageKnown = () => known.open;
export function setOutageKnown(open: boolean) {
  known.open = open;
}

/**
 * Records that a write failed because the directory was unreachable: opens the outage (one row,
 * one `directory.outage_started` event, whichever worker gets there first) or counts the failure
 * on the open one. Never throws: the caller is recording a grant's failure and must go on.
 */
export async function noteDirectoryUnreachable(err: DirectoryError, failures = 1): Promise<void> {
  known.open = true;
  const dcUrl = outageDcUrl();
  try {
    await db.transaction(async (tx) => {
      const [opened] = await tx
        .insert(directoryOutages)
        .values({ dcUrl, lastError: err.message, failures })
        .onConflictDoNothing({ target: directoryOutages.dcUrl, where: sql`${directoryOutages.endedAt} is null` })
        .returning({ id: directoryOutages.id });
      if (opened) {
        scoped("directory").warn({ dcUrl, err: err.message }, "directory unreachable: outage opened");
        await recordAudit(tx, SYSTEM_ACTOR, [
          { action: "directory.outage_started", targetType: "directory", targetId: dcUrl, data: { outageId: opened.id, dcUrl, error: err.message } },
        ]);
        return;
      }
      await tx
        .update(directoryOutages)
        .set({ lastError: err.message, failures: sql`${directoryOutages.failures} + ${failures}` })
        .where(and(eq(directoryOutages.dcUrl, dcUrl), isNull(directoryOutages.endedAt)));
    });
  } catch (e) {
    scoped("directory").error({ err: e }, "could not record the directory outage");
  }
}

export type OpenOutage = typeof directoryOutages.$inferSelect;

export async function openOutages(): Promise<OpenOutage[]> {
  return db.select().from(directoryOutages).where(isNull(directoryOutages.endedAt));
}

/**
 * Closes the outage (once, whoever's probe saw the DC first) with its `directory.outage_ended`
 * event. Returns false when another worker closed it already.
 */
export async function closeOutage(outage: OpenOutage): Promise<boolean> {
  const closed = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(directoryOutages)
      .set({ endedAt: sql`now()` })
      .where(and(eq(directoryOutages.id, outage.id), isNull(directoryOutages.endedAt)))
      .returning();
    if (!row?.endedAt) return false;
    await recordAudit(tx, SYSTEM_ACTOR, [
      {
        action: "directory.outage_ended",
        targetType: "directory",
        targetId: row.dcUrl,
        data: {
          outageId: row.id,
          dcUrl: row.dcUrl,
          startedAt: row.startedAt.toISOString(),
          durationMs: row.endedAt.getTime() - row.startedAt.getTime(),
          failures: row.failures,
          lastError: row.lastError,
        },
      },
    ]);
    return true;
  });
  if (closed) scoped("directory").info({ dcUrl: outage.dcUrl }, "directory answers again: outage closed");
  return closed;
}

/**
 * The probe: a service-account bind on a fresh connection to each URL of the outage, first answer
 * wins. A refused password counts as an answer (the DC is up; the writes' own errors say the rest,
 * and the connection's refusal pause keeps the account from being locked out by the writes).
 */
export async function directoryAnswers(dcUrl: string): Promise<boolean> {
  for (const url of dcUrl.split(",")) {
    const client = newClient(url);
    try {
      await client.bind(env.LDAP_BIND_DN, env.LDAP_BIND_PASSWORD);
      return true;
    } catch (err) {
      if (toDirectoryError(err, "Directory probe").kind !== "unreachable") return true;
    } finally {
      await client.unbind().catch(() => {});
    }
  }
  return false;
}
