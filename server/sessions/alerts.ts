import "server-only";
import type { Executor } from "@/db";
import { emitNotification } from "@/server/notifications/emit";

/**
 * A command that matched an alert or block rule, or left the change's planned activity: the
 * group's approvers and the channels that chose "session_alert" hear about it (one event per flush).
 */
export async function emitSessionAlert(
  tx: Executor,
  session: { requestId: string; deviceName: string; login: string },
  flagged: { text: string; action: string; rule: string | null; deviation: boolean }[],
) {
  const lines = flagged.slice(0, 10).map((c) => {
    const why = [c.rule ? `${c.action === "block" ? "blocked by" : "matched"} rule "${c.rule}"` : null, c.deviation ? "outside the planned activity" : null]
      .filter(Boolean)
      .join(", ");
    return `"${c.text.slice(0, 200)}" (${why})`;
  });
  const more = flagged.length > 10 ? ` and ${flagged.length - 10} more` : "";
  await emitNotification(tx, "session_alert", [
    { requestId: session.requestId, data: { comment: `on ${session.deviceName} as ${session.login}: ${lines.join("; ")}${more}` } },
  ]);
}
