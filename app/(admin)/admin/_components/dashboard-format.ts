import type { RouterOutputs } from "@/components/router-types";

/*
 * Labels and colours of the dashboard, pure. Bucket times are formatted in UTC by hand, not with
 * the browser's locale: the tables are rendered on the server and hydrated in the browser, and
 * both must print the same text (the buckets are UTC hours and days too).
 */

export type Timeline = RouterOutputs["dashboard"]["timeline"];
export type Summary = RouterOutputs["dashboard"]["summary"];
export type Outcome = Exclude<keyof Summary["outcomes"][number], "start">;

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** "14:00" for an hour, "Tue 06:00" for a six-hour bucket, "Tue 8 Dec" for a day (UTC). */
export function bucketLabel(startMs: number, stepHours: number): string {
  const d = new Date(startMs);
  const time = `${pad(d.getUTCHours())}:00`;
  if (stepHours === 1) return time;
  if (stepHours < 24) return `${DAYS[d.getUTCDay()]} ${time}`;
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "0.4 s", "12 s", "3 min 5 s", "2 h 10 min"; "—" for no value. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  const abs = Math.abs(seconds);
  const sign = seconds < 0 ? "−" : "";
  if (abs < 10) return `${sign}${(Math.round(abs * 10) / 10).toString()} s`;
  if (abs < 60) return `${sign}${Math.round(abs)} s`;
  if (abs < 3600) {
    const m = Math.floor(abs / 60);
    const s = Math.round(abs % 60);
    return `${sign}${m} min${s ? ` ${s} s` : ""}`;
  }
  const h = Math.floor(abs / 3600);
  const m = Math.round((abs % 3600) / 60);
  return `${sign}${h} h${m ? ` ${m} min` : ""}`;
}

/** Axis ticks: short enough for a narrow axis ("40 s", "1.5 min", "2 h"). */
export function formatSecondsShort(seconds: number): string {
  const abs = Math.abs(seconds);
  const round = (n: number) => String(Math.round(n * 10) / 10);
  if (abs < 60) return `${round(seconds)} s`;
  if (abs < 3600) return `${round(seconds / 60)} min`;
  return `${round(seconds / 3600)} h`;
}

/**
 * Each outcome's label, colour (at least 3:1 against white, WCAG 1.4.11) and, for the stacked
 * bars, a hatch so that neighbours differ by more than their hue.
 */
export const OUTCOMES: readonly { key: Outcome; label: string; color: string; pattern?: "hatch" | "dots" }[] = [
  { key: "approved", label: "Approved", color: "#047857" },
  { key: "denied", label: "Denied", color: "#b91c1c", pattern: "hatch" },
  { key: "cancelled", label: "Cancelled", color: "#475569", pattern: "dots" },
  { key: "expired", label: "Expired", color: "#b45309", pattern: "hatch" },
  { key: "failed", label: "Failed", color: "#86198f", pattern: "dots" },
  { key: "pending", label: "Pending", color: "#4338ca" },
];

/** Indigo 700 and slate 700 (the p95 line is also dashed). */
export const SERIES_COLORS = { primary: "#4338ca", secondary: "#334155" } as const;

export const isEmpty = <T>(points: readonly T[], value: (p: T) => number) => points.every((p) => value(p) === 0);
