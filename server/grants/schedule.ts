import "server-only";
import type { Executor } from "@/db";
import { env } from "@/server/env";
import { enqueue, jobKeys, jobSpecOf } from "@/server/jobs/enqueue";
import { addJob, type JobSpec } from "@/server/jobs/queue";
import { EXPIRY_JOB_GRACE_MS } from "./timing";

/*
 * The jobs that follow a grant, each under the grant's job key: queuing one again moves it (an
 * extension moves the expiry job and the warning instead of adding second ones).
 */

/** The activation job, at the grant's start (a scheduled grant) or now. */
export async function scheduleActivation(tx: Executor, grantId: string, runAt?: Date) {
  await enqueue(tx, "grants__activate", { grantId }, { jobKey: jobKeys.activate(grantId), runAt });
}

/**
 * The safety-net removal: the worker's timer removes the grant at `expiresAt`; this job is due a
 * little later so that it does not compete with the timer's bulk sweep.
 */
export async function scheduleExpiry(tx: Executor, grantId: string, expiresAt: Date) {
  await addJob(tx, expiryJob(grantId, expiresAt));
}

export const expiryJob = (grantId: string, expiresAt: Date) =>
  jobSpecOf("grants__expire", { grantId }, { runAt: new Date(expiresAt.getTime() + EXPIRY_JOB_GRACE_MS), jobKey: jobKeys.expire(grantId) });

export interface WarnableGrant {
  id: string;
  activatedAt: Date | null;
  expiresAt: Date | null;
  endReason: string | null;
}

/**
 * Queues the "expiring soon" warning: EXPIRY_WARNING_MINUTES before the end, but never in the
 * first half of the grant (a 2-minute grant is warned after 1 minute). The job key makes an
 * extension move it.
 */
export async function scheduleExpiryWarning(tx: Executor, g: WarnableGrant) {
  const job = warningJob(g);
  if (job) await addJob(tx, job);
}

/** The warning job scheduleExpiryWarning queues; null when the grant has no end to warn of. */
export function warningJob(g: WarnableGrant): JobSpec | null {
  if (!g.expiresAt || !g.activatedAt || g.endReason) return null;
  const end = g.expiresAt.getTime();
  const half = g.activatedAt.getTime() + (end - g.activatedAt.getTime()) / 2;
  const runAt = new Date(Math.max(half, end - env.EXPIRY_WARNING_MINUTES * 60_000));
  return jobSpecOf("grants__warn", { grantId: g.id }, { runAt, jobKey: jobKeys.warn(g.id), maxAttempts: 5 });
}
