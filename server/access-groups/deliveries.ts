import "server-only";
import { desc, eq } from "drizzle-orm";
import { db } from "@/db";
import { notificationDeliveries, notificationEvents } from "@/db/schema";
import { assertCan, type SessionUser } from "@/server/auth/permissions";

/** The group's last deliveries, newest first: what was sent to whom, and what keeps failing. */
export async function listDeliveries(user: SessionUser, groupId: string) {
  assertCan(user, "read", "AccessGroup");
  return db
    .select({
      id: notificationDeliveries.id,
      event: notificationEvents.event,
      requestId: notificationEvents.requestId,
      channel: notificationDeliveries.channel,
      recipient: notificationDeliveries.recipient,
      state: notificationDeliveries.state,
      attempts: notificationDeliveries.attempts,
      lastError: notificationDeliveries.lastError,
      createdAt: notificationDeliveries.createdAt,
      sentAt: notificationDeliveries.sentAt,
      nextAttemptAt: notificationDeliveries.nextAttemptAt,
    })
    .from(notificationDeliveries)
    .innerJoin(notificationEvents, eq(notificationEvents.id, notificationDeliveries.eventId))
    .where(eq(notificationDeliveries.accessGroupId, groupId))
    .orderBy(desc(notificationDeliveries.createdAt))
    .limit(50);
}
