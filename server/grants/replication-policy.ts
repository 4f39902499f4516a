import "server-only";
import type { DcReplicationState, GrantReplication } from "@/db/schema";

/*
 * When a change written to one DC counts as done on all of them, as pure rules: the settings
 * (mode, latency, cap), what each DC showed and how long ago the change was written.
 */

export type ReplicationMode = "verify" | "wait" | "both";

export interface ReplicationSettings {
  mode: ReplicationMode;
  latencySeconds: number;
  /** After this long the change counts as done even if some DC never showed it. */
  maxWaitSeconds: number;
}

/** Without a settings row (the database columns default to the same). */
export const REPLICATION_DEFAULTS: ReplicationSettings = { mode: "verify", latencySeconds: 30, maxWaitSeconds: 900 };

/** What one check found on one DC: the change is there, is not (yet), or the DC could not be asked. */
export type DcObservation = { host: string; seen: true } | { host: string; seen: false; error: string | null };

export type SettledBy = NonNullable<GrantReplication["settled"]>["by"];

export type ReplicationDecision = { settled: false } | { settled: true; by: SettledBy; unconfirmed: string[] };

const verifies = (mode: ReplicationMode) => mode !== "wait";
const waits = (mode: ReplicationMode) => mode !== "verify";

/**
 * Whether a change has to wait at all. One DC that is not named explicitly is necessarily the
 * one written to, and a latency of 0 is no wait: a single-DC domain behaves as if there were no
 * replication to follow.
 */
export function replicationWaitNeeded(settings: ReplicationSettings, dcs: { count: number; explicit: boolean } | null): boolean {
  const waitsForLatency = waits(settings.mode) && settings.latencySeconds > 0;
  // DCs unknown (the directory could not list them): verifying needs a check.
  const checksDcs = verifies(settings.mode) && (dcs === null || dcs.explicit || dcs.count > 1);
  return waitsForLatency || checksDcs;
}

/** Whether checks of the DCs are part of the mode at all. */
export function checksDomainControllers(settings: ReplicationSettings): boolean {
  return verifies(settings.mode);
}

/**
 * Settled or not, and why. `dcs` are the DCs to verify with what they showed (ignored in `wait`
 * mode); `elapsedMs` is the time since the change was written. The cap settles everything: a DC
 * that is down never keeps a grant waiting forever, and the DCs that did not confirm are named.
 */
export function decideReplication(settings: ReplicationSettings, elapsedMs: number, dcs: readonly DcObservation[]): ReplicationDecision {
  const latencyPassed = elapsedMs >= settings.latencySeconds * 1000;
  const unconfirmed = verifies(settings.mode) ? dcs.filter((d) => !d.seen).map((d) => d.host) : [];
  const verified = unconfirmed.length === 0;
  switch (settings.mode) {
    case "verify":
      if (verified) return { settled: true, by: "verified", unconfirmed: [] };
      break;
    case "wait":
      if (latencyPassed) return { settled: true, by: "latency", unconfirmed: [] };
      break;
    case "both":
      if (verified && latencyPassed) return { settled: true, by: "verified+latency", unconfirmed: [] };
      break;
  }
  if (elapsedMs >= settings.maxWaitSeconds * 1000) return { settled: true, by: "max-wait", unconfirmed };
  return { settled: false };
}

/**
 * Folds one check into a grant's per-DC record: a DC keeps the first time it showed the change
 * (later checks skip it); the others carry the latest error. DCs no longer in `targets` drop out.
 */
export function mergeObservations(
  previous: readonly DcReplicationState[],
  targets: readonly string[],
  found: ReadonlyMap<string, { seen: boolean; error: string | null }>,
  checkedAt: Date,
): DcReplicationState[] {
  const before = new Map(previous.map((d) => [d.host, d]));
  return targets.map((host) => {
    const old = before.get(host);
    if (old?.seenAt) return old;
    const now = found.get(host);
    if (!now) return old ?? { host, seenAt: null, error: null };
    return { host, seenAt: now.seen ? checkedAt.toISOString() : null, error: now.seen ? null : now.error };
  });
}

/** The record as observations for decideReplication. */
export function observationsOf(dcs: readonly DcReplicationState[]): DcObservation[] {
  return dcs.map((d) => (d.seenAt ? { host: d.host, seen: true } : { host: d.host, seen: false, error: d.error }));
}
