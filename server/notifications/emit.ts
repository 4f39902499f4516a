import "server-only";
import { sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { notificationEvents } from "@/db/schema";
import type { NotificationEvent } from "./schemas";

export interface EventItem {
  requestId: string;
  grantId?: string | null;
  data?: { level?: number; comment?: string; actor?: string; error?: string };
}

/**
 * Records that something happened, in the caller's transaction: the outbox row commits with the
 * state change (or not at all). Only an insert: no job and no shared row is touched (a shared
 * keyed job row, locked by every business transaction, deadlocked with the audit lock). The
 * worker polls the outbox every second (worker/notifications-poller.ts), so a slow or failing
 * channel never holds up a grant.
 */
export async function emitNotification(tx: Executor, event: NotificationEvent, items: EventItem[]): Promise<void> {
  if (items.length === 0) return;
  const rows = items.map((i) => ({ event, requestId: i.requestId, grantId: i.grantId ?? null, data: i.data ?? {} }));
  for (let i = 0; i < rows.length; i += 5000) await tx.insert(notificationEvents).values(rows.slice(i, i + 5000));
}

/**
 * One event per grant, for the bulk paths (thousands of expiries in one sweep): the event follows
 * each grant's end reason, in one statement.
 */
export async function emitGrantEnds(tx: Executor, grantIds: string[]): Promise<void> {
  if (grantIds.length === 0) return;
  // Who ended it (an admin revoking, the holder ending early) names the actor in the message.
  await tx.execute(sql`
    insert into notification_events (event, request_id, grant_id, data)
    select case when g.end_reason in ('revoked', 'ended_early') then 'revoked'::notification_event else 'expired'::notification_event end,
           g.request_id, g.id,
           case when u.username is not null then jsonb_build_object('actor', u.username) else '{}'::jsonb end
    from grants g left join users u on u.id = g.ended_by
    where g.id = any(string_to_array(${grantIds.join(",")}, ',')::uuid[])`);
}
