/*
 * A session's audit rows on its request's timeline (issue 14): connected, flagged commands, ended,
 * with a link to the recording. Pure, like the rest of the timeline's wording.
 */

type Tone = "done" | "failed";
export interface SessionTold {
  label: string;
  detail?: string | null;
  tone?: Tone;
  href?: string;
}

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

const END_WORDS: Record<string, string> = {
  exit: "the person left",
  idle: "idle for too long",
  maximum: "its time was up",
  "grant-ended": "its access ended",
  terminated: "terminated",
  "ended-by-user": "ended by the person",
  interrupted: "its gateway stopped answering",
  "host-key": "the device's host key changed",
  "password-refused": "the directory refused the managed password",
  blocked: "a command was blocked",
  "signed-out": "the person's sign-in ended",
};

/** The words for a `session.*` row, or null when the action is not a session's. */
export function sessionWords(action: string, d: Record<string, unknown>, sessionId: string | null): SessionTold | null {
  const href = sessionId ? `/admin/recordings/${sessionId}` : undefined;
  switch (action) {
    case "session.requested":
      return { label: `Session on ${str(d.device) ?? "a device"} as ${str(d.login) ?? "?"} requested` };
    case "session.ready":
      return { label: "Session ready to connect", detail: d.passwordSet ? "a fresh password was set for the account" : null };
    case "session.connected":
      return { label: `Session connected (${d.via === "ssh" ? "SSH client" : "browser"})`, href };
    case "session.command_flagged":
      return {
        label: d.action === "block" ? "Command blocked" : d.deviation && !d.rule ? "Change deviation" : "Command alert",
        detail: str(d.command),
        tone: "failed",
        href,
      };
    case "session.host_key_mismatch":
      return { label: "Session refused: the device's host key changed", tone: "failed" };
    case "session.terminate_requested":
      return { label: "Session terminated", detail: str(d.reason) };
    case "session.ended": {
      const reason = str(d.reason);
      return {
        label: `Session ended${reason ? `: ${END_WORDS[reason] ?? reason}` : ""}`,
        detail: str(d.error) ?? (typeof d.commands === "number" ? `${d.commands} command(s) recorded` : null),
        tone: str(d.error) ? "failed" : "done",
        href,
      };
    }
    case "session.password_rotated":
      return d.phase === "after" ? { label: "Managed password changed again" } : null;
    default:
      return null;
  }
}
