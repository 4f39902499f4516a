import "server-only";
import type { Executor } from "@/db";
import { enqueue } from "@/server/jobs/enqueue";
import { jobs } from "@/server/jobs/registry";

/** The worker prepares the session (now, or at `runAt`); one waiting job per session. */
export async function enqueueSessionPrepare(tx: Executor, sessionId: string, runAt?: Date) {
  await enqueue(tx, "sessions__prepare", { sessionId }, { jobKey: jobs.sessions__prepare.key(sessionId), runAt });
}
