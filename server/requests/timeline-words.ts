/*
 * The words of the timeline: defensive readers of an audit row's data, and durations, lags and
 * replication outcomes as people read them. Pure.
 */

export const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v : null);
export const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
export const iso = (v: unknown): string | null => {
  const s = str(v);
  return s && !Number.isNaN(Date.parse(s)) ? new Date(s).toISOString() : null;
};
export const joined = (...parts: (string | null)[]) => parts.filter(Boolean).join(" · ") || null;

export function minutesText(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export function lagText(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Each DC's delay, and why a wait ended without every DC (grant.replicated, grant.removal_replicated). */
export function replicationDetail(d: Record<string, unknown>): string | null {
  const dcs = Array.isArray(d.dcs) ? (d.dcs as Record<string, unknown>[]) : [];
  const delays = dcs.map((dc) => {
    const after = num(dc.seenAfterMs);
    return `${str(dc.host) ?? "?"} ${after !== null ? `after ${lagText(after)}` : "not confirmed"}`;
  });
  const unconfirmed = Array.isArray(d.unconfirmed) ? d.unconfirmed.filter((h): h is string => typeof h === "string") : [];
  const why =
    d.settledBy === "latency"
      ? "the replication time has passed"
      : d.settledBy === "max-wait"
        ? `gave up waiting for ${unconfirmed.join(", ") || "some domain controllers"}`
        : d.settledBy === "superseded"
          ? "a newer grant added the account again"
          : null;
  return joined(why, delays.join(", ") || null);
}

/**
 * The live policy's steps (issue 13: re-checked at each vote and each activation), in words; undefined
 * for any other action. `extension`: the row is about an extension of the request's grant.
 */
export function livePolicyWords(
  action: string,
  d: Record<string, unknown>,
  by: string,
  extension = false,
): { label: string; detail: string | null; tone?: "failed" } | undefined {
  const why = joined(str(d.reason), str(d.rule) ? `rule: ${str(d.rule)}` : null);
  switch (action) {
    case "request.policy_refused":
      return { label: `${extension ? "Extension refused" : "Refused"} by the access policy as it is now`, detail: why, tone: "failed" };
    case "grant.policy_refused":
      return { label: "Not activated: refused by the access policy as it is now", detail: why, tone: "failed" };
    case "request.vote_refused":
      return { label: `${extension ? "Extension: vote" : "Vote"} by ${by} refused`, detail: str(d.reason) };
    case "request.duration_clipped":
    case "grant.duration_clipped": {
      const note = str(d.note);
      const from = num(d.fromMinutes);
      return {
        label: note ? note.charAt(0).toUpperCase() + note.slice(1) : "Duration clipped",
        detail: from !== null ? `${minutesText(Math.round(from * 100) / 100)} asked` : null,
      };
    }
    default:
      return undefined;
  }
}
