import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { serviceConnection } from "@/server/directory/connection";
import { closeOutage, type OpenOutage, setOutageKnown } from "@/server/directory/outages";
import { jobKeys, notifyScheduleChanged } from "@/server/jobs/enqueue";
import { addJobs } from "@/server/jobs/queue";
import { jobs } from "@/server/jobs/registry";
import { stateSql } from "./state-sql";

/**
 * The directory answers again (the probe saw it): closes the outage and runs at once what waited
 * for it instead of leaving it to graphile-worker's backoff — the expiry timer is woken (the sweep
 * let go of its leases when the writes failed, so the due removals are due now) and every pending
 * activation whose time has come is queued again, now (the batch path takes them together).
 * Only the worker that closed the outage does this; returns null when another one did.
 */
export async function resumeAfterOutage(outage: OpenOutage): Promise<{ activationsQueued: number } | null> {
  if (!(await closeOutage(outage))) return null;
  setOutageKnown(false);
  // The process's connection may hold a socket from before the outage.
  await serviceConnection().reset({ keepRefusal: true });
  return db.transaction(async (tx) => {
    const waiting = await tx.execute<{ id: string }>(sql`
      select id from grants
      where state = ${stateSql("pending")} and (starts_at is null or starts_at <= now()) and (not_after is null or not_after > now())`);
    const activationsQueued = await addJobs(
      tx,
      [...waiting].map((g) => ({
        task: "grants__activate",
        payload: { grantId: g.id },
        jobKey: jobKeys.activate(g.id),
        maxAttempts: jobs.grants__activate.maxAttempts,
      })),
    );
    await notifyScheduleChanged(tx);
    return { activationsQueued };
  });
}
