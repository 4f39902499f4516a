import "server-only";
import { IANAZone } from "luxon";
import type { Limits, TimeWindow } from "./schemas";

/*
 * Access limitation, evaluated in the group's IANA time zone.
 *
 * An instant is allowed when all of these hold for the wall clock in that zone:
 * - validity: its local date is within [validFrom, validTo], both inclusive, either optional. This
 *   bounds the instant itself, so a window that starts on validTo is cut at the end of that day.
 * - windows: its wall-clock time is in [start, end) of some window. A window whose end is earlier
 *   than its start runs past midnight, and one whose end equals its start lasts 24 hours; either
 *   way the window belongs to the day it starts on. No windows = the whole day.
 * - days: the day the matching window started on (the instant's own day when there are no
 *   windows) is one of daysOfWeek. No days = every day.
 *
 * Wall-clock semantics are what make this DST-correct: a window is open while the clock on the
 * wall shows a time inside it. On a spring-forward day a window starting in the skipped hour opens
 * when the clock jumps (02:30–04:00 opens at 03:00); a window entirely inside the skipped hour does
 * not happen that day. On a fall-back day the repeated hour is in a window on both passes (a
 * 01:30–01:45 window in New York is open from 01:30 to 01:45 EDT and again from 01:30 to 01:45 EST).
 *
 * "The window containing an instant" is the maximal run of allowed time around it, so adjacent
 * windows and allowed days that follow each other merge (Monday to Friday with no windows ends
 * Saturday at 00:00).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Every weekday is seen at least twice, so a window skipped once by a DST gap is still found. */
const SCAN_DAYS = 16;
/** No zone changes its offset twice within six hours. */
const TIMELINE_SAMPLE_MS = 6 * HOUR_MS;
/** Wider than any UTC offset, so a local day's instants lie within a day of its UTC midnight. */
const TIMELINE_MARGIN_MS = 2 * DAY_MS;

const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

export type LimitsRule = "validFrom" | "validTo" | "daysOfWeek" | "hours";

export type LimitsEvaluation =
  { allowed: true; windowEndsAt: Date | null } | { allowed: false; rule: LimitsRule; reason: string; nextWindowStartsAt: Date | null };

/** The zone's UTC offsets over a span, so that the scan does not ask Intl for every candidate. */
interface Timeline {
  zone: IANAZone;
  from: number;
  to: number;
  initialOffsetMs: number;
  changes: { at: number; offsetMs: number }[];
}

function zoneOf(timeZone: string): IANAZone {
  if (!IANAZone.isValidZone(timeZone)) throw new RangeError(`Unknown time zone: ${timeZone}`);
  return IANAZone.create(timeZone);
}

function instantOf(date: Date, what: string): number {
  const t = date.getTime();
  if (Number.isNaN(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
}

function zoneOffsetMs(zone: IANAZone, ts: number): number {
  return Math.round(zone.offset(ts) * MINUTE_MS);
}

function buildTimeline(zone: IANAZone, from: number, to: number): Timeline {
  const initialOffsetMs = zoneOffsetMs(zone, from);
  const changes: Timeline["changes"] = [];
  let at = from;
  let offset = initialOffsetMs;
  while (at < to) {
    const next = Math.min(at + TIMELINE_SAMPLE_MS, to);
    const nextOffset = zoneOffsetMs(zone, next);
    if (nextOffset !== offset) {
      let lo = at;
      let hi = next;
      while (hi - lo > 1) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (zoneOffsetMs(zone, mid) === offset) lo = mid;
        else hi = mid;
      }
      changes.push({ at: hi, offsetMs: nextOffset });
    }
    at = next;
    offset = nextOffset;
  }
  return { zone, from, to, initialOffsetMs, changes };
}

function timelineAround(zone: IANAZone, ts: number): Timeline {
  return buildTimeline(zone, ts - TIMELINE_MARGIN_MS, ts + (SCAN_DAYS + 1) * DAY_MS + TIMELINE_MARGIN_MS);
}

function offsetAt(timeline: Timeline, ts: number): number {
  if (ts < timeline.from || ts > timeline.to) return zoneOffsetMs(timeline.zone, ts);
  let offset = timeline.initialOffsetMs;
  for (const change of timeline.changes) {
    if (change.at > ts) break;
    offset = change.offsetMs;
  }
  return offset;
}

/** Local day as days since 1970-01-01, and milliseconds since local midnight. */
function wallClock(timeline: Timeline, ts: number): { day: number; msOfDay: number } {
  const local = ts + offsetAt(timeline, ts);
  const day = Math.floor(local / DAY_MS);
  return { day, msOfDay: local - day * DAY_MS };
}

/** Every instant whose wall clock reads `minuteOfDay` on `day`: none in a gap, two in an overlap. */
function instantsAt(timeline: Timeline, day: number, minuteOfDay: number): number[] {
  const naive = day * DAY_MS + minuteOfDay * MINUTE_MS;
  const offsets = new Set([timeline.initialOffsetMs, ...timeline.changes.map((c) => c.offsetMs)]);
  const instants: number[] = [];
  for (const offset of offsets) {
    const ts = naive - offset;
    if (offsetAt(timeline, ts) === offset) instants.push(ts);
  }
  return instants.sort((a, b) => a - b);
}

/** The first instant at which the wall clock reads `minuteOfDay` on `day` or later. */
function firstInstantAtOrAfter(timeline: Timeline, day: number, minuteOfDay: number): number {
  const [first] = instantsAt(timeline, day, minuteOfDay);
  if (first !== undefined) return first;
  // In a spring-forward gap: the clock jumps past the wanted time at an offset change.
  const naive = day * DAY_MS + minuteOfDay * MINUTE_MS;
  for (const change of timeline.changes) {
    const before = change.at - 1 + offsetAt(timeline, change.at - 1);
    if (before < naive && change.at + change.offsetMs >= naive) return change.at;
  }
  return naive - offsetAt(timeline, naive);
}

function dayOfIsoDate(isoDate: string): number {
  return Math.round(Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS);
}

function isoDateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** 1 = Monday … 7 = Sunday. */
function weekdayOfDay(day: number): number {
  const sundayFirst = new Date(day * DAY_MS).getUTCDay();
  return sundayFirst === 0 ? 7 : sundayFirst;
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":");
  return Number(hours) * 60 + Number(minutes);
}

type Verdict = { allowed: true } | { allowed: false; rule: LimitsRule; day: number; refusedWindow: { window: TimeWindow; startedOn: number } | null };

function verdictAt(limits: Limits, timeline: Timeline, ts: number): Verdict {
  const { day, msOfDay } = wallClock(timeline, ts);
  const date = isoDateOfDay(day);
  if (limits.validFrom !== null && date < limits.validFrom) return { allowed: false, rule: "validFrom", day, refusedWindow: null };
  if (limits.validTo !== null && date > limits.validTo) return { allowed: false, rule: "validTo", day, refusedWindow: null };
  const dayAllowed = (d: number) => limits.daysOfWeek.length === 0 || limits.daysOfWeek.includes(weekdayOfDay(d));
  if (limits.windows.length === 0) {
    return dayAllowed(day) ? { allowed: true } : { allowed: false, rule: "daysOfWeek", day, refusedWindow: null };
  }
  let refusedWindow: { window: TimeWindow; startedOn: number } | null = null;
  for (const window of limits.windows) {
    const start = minutesOf(window.start) * MINUTE_MS;
    const end = minutesOf(window.end) * MINUTE_MS;
    const startedOn: number[] = [];
    if (start < end) {
      if (msOfDay >= start && msOfDay < end) startedOn.push(day);
    } else {
      if (msOfDay >= start) startedOn.push(day);
      if (msOfDay < end) startedOn.push(day - 1);
    }
    for (const d of startedOn) {
      if (dayAllowed(d)) return { allowed: true };
      refusedWindow ??= { window, startedOn: d };
    }
  }
  if (refusedWindow !== null) return { allowed: false, rule: "daysOfWeek", day, refusedWindow };
  if (!dayAllowed(day)) return { allowed: false, rule: "daysOfWeek", day, refusedWindow: null };
  return { allowed: false, rule: "hours", day, refusedWindow: null };
}

/**
 * The first instant after `from` (within SCAN_DAYS) at which being allowed stops being `allowed`.
 * The verdict can only change where the wall clock reaches a window boundary or midnight, or
 * jumps at an offset change, and it holds from each such instant until the next.
 */
function nextChange(limits: Limits, timeline: Timeline, from: number, allowed: boolean): number | null {
  const until = from + SCAN_DAYS * DAY_MS;
  const boundaries = new Set([0, ...limits.windows.flatMap((w) => [minutesOf(w.start), minutesOf(w.end)])]);
  const firstDay = wallClock(timeline, from).day - 1;
  const candidates = new Set<number>(timeline.changes.map((c) => c.at));
  for (let day = firstDay; day <= firstDay + SCAN_DAYS + 2; day++) {
    for (const minute of boundaries) for (const ts of instantsAt(timeline, day, minute)) candidates.add(ts);
  }
  const ordered = [...candidates].filter((ts) => ts > from && ts <= until).sort((a, b) => a - b);
  for (const ts of ordered) {
    if (verdictAt(limits, timeline, ts).allowed !== allowed) return ts;
  }
  return null;
}

function describeWindows(windows: readonly TimeWindow[]): string {
  return windows.map((w) => `${w.start}–${w.end}`).join(", ");
}

function describeDays(days: readonly number[]): string {
  const runs: number[][] = [];
  for (const d of days) {
    const run = runs.at(-1);
    if (run !== undefined && run.at(-1) === d - 1) run.push(d);
    else runs.push([d]);
  }
  const name = (d: number) => DAY_NAMES[d - 1] ?? String(d);
  return runs.map((run) => (run.length >= 3 ? `${name(run[0]!)} to ${name(run.at(-1)!)}` : run.map(name).join(", "))).join(", ");
}

function describe(verdict: Exclude<Verdict, { allowed: true }>, limits: Limits, timeZone: string): string {
  switch (verdict.rule) {
    case "validFrom":
      return `Not valid yet: access through this group starts on ${limits.validFrom} (${timeZone})`;
    case "validTo":
      return `No longer valid: access through this group ended on ${limits.validTo} (${timeZone})`;
    case "daysOfWeek": {
      const allowedDays = `allowed days are ${describeDays(limits.daysOfWeek)} (${timeZone})`;
      const refused = verdict.refusedWindow;
      if (refused !== null) {
        const startedOn = DAY_NAMES[weekdayOfDay(refused.startedOn) - 1];
        return `The ${describeWindows([refused.window])} window that started on ${startedOn} is not allowed; ${allowedDays}`;
      }
      return `Not allowed on ${DAY_NAMES[weekdayOfDay(verdict.day) - 1]}; ${allowedDays}`;
    }
    case "hours":
      return `Outside the allowed hours ${describeWindows(limits.windows)} (${timeZone})`;
  }
}

export function evaluateLimits(limits: Limits, timeZone: string, now: Date): LimitsEvaluation {
  const zone = zoneOf(timeZone);
  const t = instantOf(now, "now");
  let timeline = timelineAround(zone, t);
  const verdict = verdictAt(limits, timeline, t);

  if (verdict.allowed) {
    const end = nextChange(limits, timeline, t, true);
    if (end !== null) return { allowed: true, windowEndsAt: new Date(end) };
    // Allowed throughout a scan that covers every weekday: only the validity period can end it.
    if (limits.validTo === null) return { allowed: true, windowEndsAt: null };
    const dayAfter = dayOfIsoDate(limits.validTo) + 1;
    const around = buildTimeline(zone, dayAfter * DAY_MS - TIMELINE_MARGIN_MS, dayAfter * DAY_MS + TIMELINE_MARGIN_MS);
    return { allowed: true, windowEndsAt: new Date(firstInstantAtOrAfter(around, dayAfter, 0)) };
  }

  const refused = { allowed: false as const, rule: verdict.rule, reason: describe(verdict, limits, timeZone) };
  if (verdict.rule === "validTo") return { ...refused, nextWindowStartsAt: null };
  let from = t;
  if (verdict.rule === "validFrom" && limits.validFrom !== null) {
    const firstDay = dayOfIsoDate(limits.validFrom);
    timeline = timelineAround(zone, firstDay * DAY_MS);
    from = firstInstantAtOrAfter(timeline, firstDay, 0);
    if (verdictAt(limits, timeline, from).allowed) return { ...refused, nextWindowStartsAt: new Date(from) };
  }
  const start = nextChange(limits, timeline, from, false);
  return { ...refused, nextWindowStartsAt: start === null ? null : new Date(start) };
}

/**
 * When a grant starting at `start` must end: `requestedEnd`, or earlier if the window containing
 * `start` closes first (validTo's end of day included). A start outside the limits returns `start`
 * itself, an empty grant; callers refuse such a request with evaluateLimits' reason first.
 */
export function clipGrantEnd(limits: Limits, timeZone: string, start: Date, requestedEnd: Date): Date {
  instantOf(start, "start");
  const requested = instantOf(requestedEnd, "requestedEnd");
  const evaluation = evaluateLimits(limits, timeZone, start);
  if (!evaluation.allowed) return new Date(start.getTime());
  if (evaluation.windowEndsAt !== null && evaluation.windowEndsAt.getTime() < requested) return evaluation.windowEndsAt;
  return new Date(requested);
}
