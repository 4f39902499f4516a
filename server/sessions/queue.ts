import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { deviceSessions } from "@/db/schema";
import { enqueue } from "@/server/jobs/enqueue";
import { jobs } from "@/server/jobs/registry";

/** The worker prepares the session (now, or at `runAt`); one waiting job per session. */
export async function enqueueSessionPrepare(tx: Executor, sessionId: string, runAt?: Date) {
  await enqueue(tx, "sessions__prepare", { sessionId }, { jobKey: jobs.sessions__prepare.key(sessionId), runAt });
}

/**
 * Grants just became active (the "granted" moment, server/grants/transition.ts): the sessions of
 * those requests are prepared now rather than at their next one-second check. One statement; no
 * row for the requests that are not sessions.
 */
export async function wakeSessionPrepare(tx: Executor, requestIds: string[]) {
  if (!requestIds.length) return;
  const spec = jobs.sessions__prepare;
  await tx.execute(sql`select graphile_worker.add_job(
      identifier => 'sessions__prepare',
      payload => json_build_object('sessionId', s.id),
      max_attempts => ${spec.maxAttempts}::int,
      job_key => ${spec.key.prefix}::text || s.id::text,
      job_key_mode => 'replace')
    from ${deviceSessions} s
    where s.request_id = any(string_to_array(${requestIds.join(",")}, ',')::uuid[]) and s.state in ('requested', 'preparing')`);
}
