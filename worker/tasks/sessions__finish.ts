import { finishSession } from "@/server/sessions/lifecycle";
import { defineTask } from "../define-task";

/** After a session: its grants end through the revoke path; a managed password is changed again. */
export const sessions__finish = defineTask("sessions__finish", async (payload) => {
  await finishSession(payload.sessionId);
});
