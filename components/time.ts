const pad = (n: number) => String(n).padStart(2, "0");

/** "mm:ss", or "h:mm:ss" from an hour up; never negative. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}

/*
 * Made on first use, not when the module loads: building a DateTimeFormat (and ICU's locale data
 * behind the first one) took ~15 ms here (~60 ms at Lighthouse's 4× phone slowdown) inside /roles'
 * hydration — whose privilege cards show no date (issue 15, Lighthouse TBT).
 */
let timeOnlyFormat: Intl.DateTimeFormat | undefined;
let dateTimeFormat: Intl.DateTimeFormat | undefined;
const timeOnly = () => (timeOnlyFormat ??= new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
const dateTime = () => (dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" }));

/** A time of day when it is today, else date and time. */
export function formatWhen(d: Date | string | null | undefined): string {
  if (!d) return "";
  const date = typeof d === "string" ? new Date(d) : d;
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay ? timeOnly().format(date) : dateTime().format(date);
}

export function formatDateTime(d: Date | string | null | undefined): string {
  if (!d) return "";
  return dateTime().format(typeof d === "string" ? new Date(d) : d);
}

/** "90 min" → "1 h 30 min"; keeps minutes under an hour as they are. */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}
