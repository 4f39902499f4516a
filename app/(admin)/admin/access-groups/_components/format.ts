import { DateTime } from "luxon";

/** "1 user", "3 users". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const FORMAT = "ccc d LLL yyyy, HH:mm";

/** An instant as the wall clock in `zone` shows it, e.g. "Mon 2 Jun 2025, 18:00". */
export function formatInZone(d: Date, zone: string): string {
  return DateTime.fromJSDate(d, { zone }).setLocale("en-GB").toFormat(FORMAT);
}

/** The viewer's own zone (the browser's). */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The instant in the group's zone, then in the viewer's if that differs. */
export function formatForGroupAndViewer(d: Date, groupZone: string): string {
  const inGroup = `${formatInZone(d, groupZone)} (${groupZone})`;
  const viewer = localZone();
  if (DateTime.fromJSDate(d, { zone: viewer }).offset === DateTime.fromJSDate(d, { zone: groupZone }).offset) {
    return `${inGroup}, the same as your time`;
  }
  return `${inGroup}, ${formatInZone(d, viewer)} your time (${viewer})`;
}
