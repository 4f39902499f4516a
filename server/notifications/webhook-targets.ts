import "server-only";
import type { z } from "zod";
import { notificationsInput } from "@/server/access-groups/schemas";
import { env } from "@/server/env";
import { checkWebhookUrl, parseAllowList } from "./egress-policy";

/*
 * The save-time half of the egress rule: a webhook URL whose host is an internal address or name
 * is refused under its field, unless INTERIM_WEBHOOK_ALLOW lists it. Names are not resolved here
 * (DNS answers change): the send-time check in ./transport.ts resolves and refuses again.
 */

/** The Notifications tab's input, with every webhook URL checked against the egress rule. */
export const notificationsSaveInput = notificationsInput.superRefine((value, ctx) => {
  const allow = parseAllowList(env.INTERIM_WEBHOOK_ALLOW);
  value.notifications.webhooks.forEach((w, i) => {
    const verdict = checkWebhookUrl(w.url, allow);
    if (!verdict.ok) {
      ctx.addIssue({
        code: "custom",
        path: ["notifications", "webhooks", i, "url"],
        message: `Interim does not post to this address: ${verdict.reason}. An operator can allow internal receivers with INTERIM_WEBHOOK_ALLOW.`,
      });
    }
  });
});
export type NotificationsSaveInput = z.output<typeof notificationsSaveInput>;
