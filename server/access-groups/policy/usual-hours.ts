import "server-only";
import { evaluateLimits } from "./limits";
import { limitsSchema, type GroupSettings } from "./schemas";

/**
 * Whether an instant falls outside the group's usual working hours (its days and hours, in its
 * time zone, with the same wall-clock rules as access limits). Such requests are not refused,
 * only flagged to approvers and in notifications.
 */
export function isOutsideUsualHours(settings: Pick<GroupSettings, "usualDays" | "usualHours">, timeZone: string, at: Date): boolean {
  const usual = limitsSchema.parse({ daysOfWeek: settings.usualDays, windows: [settings.usualHours] });
  return !evaluateLimits(usual, timeZone, at).allowed;
}
