import { z } from "zod";

/*
 * What an access group sends, to whom (its Notifications tab). People concerned by an event get
 * email (the requester; the approvers of the level that must decide; every approver of the group
 * for an emergency); extra addresses and webhooks receive the events chosen for them.
 */

export const NOTIFICATION_EVENTS = [
  "requested",
  "approval_needed",
  "approved",
  "denied",
  "granted",
  "extended",
  "expiring_soon",
  "expired",
  "revoked",
  "failed",
  "emergency",
  "session_alert",
] as const;
export const notificationEventSchema = z.enum(NOTIFICATION_EVENTS);
export type NotificationEvent = z.output<typeof notificationEventSchema>;

export const EVENT_LABELS: Record<NotificationEvent, string> = {
  requested: "Requested",
  approval_needed: "Your approval needed",
  approved: "Approved",
  denied: "Denied",
  granted: "Granted (access active)",
  extended: "Extended",
  expiring_soon: "Expiring soon",
  expired: "Expired",
  revoked: "Revoked or ended early",
  failed: "Failed",
  emergency: "Emergency access",
  session_alert: "Session alert (a command matched a rule or left the planned activity)",
};

/** Success and failure events; "failed" and "denied" are the failures. */
export const FAILURE_EVENTS: readonly NotificationEvent[] = ["denied", "failed", "session_alert"];

export const WEBHOOK_KINDS = ["generic", "slack", "teams"] as const;
export const webhookKindSchema = z.enum(WEBHOOK_KINDS);
export type WebhookKind = z.output<typeof webhookKindSchema>;

const eventList = z
  .array(notificationEventSchema)
  .max(NOTIFICATION_EVENTS.length)
  .transform((events) => NOTIFICATION_EVENTS.filter((e) => events.includes(e)));

export const webhookUrlSchema = z
  .string()
  .trim()
  .max(2000, "At most 2000 characters")
  .pipe(z.url({ protocol: /^https?$/, error: "Enter an http:// or https:// URL" }));

export const webhookSchema = z.object({
  id: z.uuid(),
  name: z.string().trim().min(1, "Name the webhook").max(80, "At most 80 characters"),
  kind: webhookKindSchema,
  url: webhookUrlSchema,
  events: eventList.refine((e) => e.length > 0, "Pick at least one event"),
  enabled: z.boolean().default(true),
});
export type Webhook = z.output<typeof webhookSchema>;

export const notificationSettingsSchema = z
  .object({
    /** Events mailed to the people concerned (requester, approvers). */
    emailEvents: eventList.default([...NOTIFICATION_EVENTS]),
    /** Extra addresses (a SOC mailbox, a team list) and the events they receive. */
    extraRecipients: z
      .array(z.email({ error: "Enter an email address" }).max(254))
      .max(20, "At most 20 addresses")
      .default([]),
    extraEvents: eventList.default([]),
    webhooks: z.array(webhookSchema).max(10, "At most 10 webhooks").default([]),
  })
  .superRefine((v, ctx) => {
    if (v.extraRecipients.length > 0 && v.extraEvents.length === 0) {
      ctx.addIssue({ code: "custom", path: ["extraEvents"], message: "Pick the events the extra addresses receive" });
    }
    const names = new Set<string>();
    v.webhooks.forEach((w, i) => {
      if (names.has(w.name.toLowerCase())) ctx.addIssue({ code: "custom", path: ["webhooks", i, "name"], message: "Two webhooks have this name" });
      names.add(w.name.toLowerCase());
    });
  });
export type NotificationSettings = z.output<typeof notificationSettingsSchema>;
