import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { z } from "zod";
import {
  NOTIFICATION_EVENTS,
  notificationEventSchema,
  notificationSettingsSchema,
  webhookKindSchema,
  type NotificationEvent,
  type NotificationSettings,
  type WebhookKind,
} from "@/server/notifications/schemas";

/*
 * The Notifications tab's form. Extra addresses are objects ({ address }) because a field array
 * holds objects; the form's values are piped into the server's schema so its messages, and the
 * server's own, land on the same paths.
 */

export const notificationsFormSchema = z
  .object({
    emailEvents: z.array(notificationEventSchema),
    extraRecipients: z.array(z.object({ address: z.string() })),
    extraEvents: z.array(notificationEventSchema),
    webhooks: z.array(
      z.object({ id: z.string(), name: z.string(), kind: webhookKindSchema, url: z.string(), events: z.array(notificationEventSchema), enabled: z.boolean() }),
    ),
  })
  .transform((v): z.input<typeof notificationSettingsSchema> => ({ ...v, extraRecipients: v.extraRecipients.map((r) => r.address.trim()) }))
  .pipe(notificationSettingsSchema);

export type NotificationsFormValues = z.input<typeof notificationsFormSchema>;

export function notificationsToForm(settings: NotificationSettings): NotificationsFormValues {
  return { ...settings, extraRecipients: settings.extraRecipients.map((address) => ({ address })) };
}

export const MAX_EXTRA_RECIPIENTS = 20;
export const MAX_WEBHOOKS = 10;

export const WEBHOOK_KIND_LABELS: Record<WebhookKind, string> = { generic: "Generic JSON", slack: "Slack", teams: "Microsoft Teams" };

/** Who the people concerned are, per event (server/notifications/dispatch.ts, recipientsOf). */
export const REQUESTER_EMAIL_EVENTS = NOTIFICATION_EVENTS.filter((e) => e !== "approval_needed" && e !== "emergency");
export const APPROVER_EMAIL_EVENTS: readonly NotificationEvent[] = ["approval_needed", "emergency"];
export const APPROVER_EVENT_HINTS: Partial<Record<NotificationEvent, string>> = {
  approval_needed: "To the approvers of the level that must decide.",
  emergency: "To every approver of the group: emergency access is granted without waiting.",
};

/** Form paths the server's field errors may name (after the `notifications.` prefix). */
const PLACEABLE = /^(emailEvents|extraEvents|extraRecipients|extraRecipients\.\d+\.address|webhooks|webhooks\.\d+\.(name|kind|url|events|enabled))$/;

/**
 * Puts the server's messages ("notifications.webhooks.0.url", "notifications.extraRecipients.2")
 * under the form's fields. Returns whether any was placed.
 */
export function placeServerErrors<T extends FieldValues>(fieldErrors: Record<string, string[] | undefined> | null, setError: UseFormSetError<T>): boolean {
  let placed = false;
  for (const [key, messages] of Object.entries(fieldErrors ?? {})) {
    const message = messages?.[0];
    if (!message || !key.startsWith("notifications.")) continue;
    const path = key.slice("notifications.".length).replace(/^(extraRecipients\.\d+)$/, "$1.address");
    if (!PLACEABLE.test(path)) continue;
    setError(path as Path<T>, { type: "server", message });
    placed = true;
  }
  return placed;
}
