import "server-only";
import type { Executor } from "@/db";
import type { AuditActor, AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { notifyScheduleChanged } from "@/server/jobs/enqueue";
import { emitGrantEnds, emitNotification, type EventItem } from "@/server/notifications/emit";
import type { NotificationEvent } from "@/server/notifications/schemas";
import { wakeSessionPrepare } from "@/server/sessions/queue";
import { scheduleActivation, scheduleExpiry, scheduleExpiryWarning, type WarnableGrant } from "./schedule";

/** What a grant's change of state leaves behind, in its transaction. */
export interface TransitionEffects {
  /** A new grant: its activation job (at `runAt`, or now). */
  activate?: { grantId: string; runAt?: Date };
  /** The safety-net removal jobs of grants due at these times. */
  expire?: { grantId: string; at: Date }[];
  /** Wakes the worker's expiry timer: an end moved, or a grant came into the directory. */
  wakeTimer?: boolean;
  /** The "expiring soon" warning of a grant that has an end now. */
  warn?: WarnableGrant;
  /** Outbox rows (the notifications poller sends them after the commit). */
  notify?: { event: NotificationEvent; items: EventItem[] }[];
  /** The bulk paths' ends: one outbox row per grant, following its end reason. */
  notifyEnds?: string[];
  audit?: { actor: AuditActor; events: AuditEvent[] };
}

/**
 * Writes a transition's follow-ups, in the caller's transaction (they commit with the state or not
 * at all), always in this order: jobs, timer, warning, notifications, audit. The audit goes last:
 * its lock is held from there to the commit. The state itself is written by the caller, checked
 * against the table (states.ts: assertTransition, state-sql.ts).
 */
export async function recordTransition(tx: Executor, effects: TransitionEffects): Promise<void> {
  if (effects.activate) await scheduleActivation(tx, effects.activate.grantId, effects.activate.runAt);
  for (const e of effects.expire ?? []) await scheduleExpiry(tx, e.grantId, e.at);
  if (effects.wakeTimer) await notifyScheduleChanged(tx);
  if (effects.warn) await scheduleExpiryWarning(tx, effects.warn);
  for (const n of effects.notify ?? []) await emitNotification(tx, n.event, n.items);
  // Access is in: a session waiting for it is prepared now (server/sessions/lifecycle.ts).
  const granted = (effects.notify ?? []).filter((n) => n.event === "granted").flatMap((n) => n.items.map((i) => i.requestId));
  if (granted.length) await wakeSessionPrepare(tx, granted);
  if (effects.notifyEnds?.length) await emitGrantEnds(tx, effects.notifyEnds);
  if (effects.audit) await recordAudit(tx, effects.audit.actor, effects.audit.events);
}
