import { prepareSession } from "@/server/sessions/lifecycle";
import { defineTask } from "../define-task";

/** A session's grants are in: a managed account gets its fresh password and the session is ready (server/sessions/lifecycle.ts). */
export const sessions__prepare = defineTask("sessions__prepare", async (payload, { log }) => {
  const r = await prepareSession(payload.sessionId);
  if (r === "ready") log.info(`session ${payload.sessionId} ready`);
});
