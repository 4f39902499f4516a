/*
 * The dashboard's time ranges and windows, shared by the queries and the page. No imports at all:
 * the client components read them from here, and zod (inputs.ts) stays out of /admin's first load.
 */

export const DASHBOARD_RANGES = ["24h", "7d"] as const;
export type DashboardRange = (typeof DASHBOARD_RANGES)[number];

/** What the overview prefetches on the server and shows first. */
export const DEFAULT_RANGE: DashboardRange = "24h";

/** Bucket width and count per range: the last 24 hours by the hour, the last 7 days by six hours. */
export const RANGE_BUCKETS: Record<DashboardRange, { stepHours: number; buckets: number; label: string }> = {
  "24h": { stepHours: 1, buckets: 24, label: "the last 24 hours" },
  "7d": { stepHours: 6, buckets: 28, label: "the last 7 days" },
};

/** Requests by outcome cover this many days (one bucket a day, UTC). */
export const OUTCOME_DAYS = 14;
/** The most requested privileges are counted over this many days. */
export const TOP_PRIVILEGE_DAYS = 30;
export const TOP_PRIVILEGE_LIMIT = 10;
