import { describe, expect, it } from "vitest";
import { clipGrantEnd, evaluateLimits, limitsSchema, type Limits } from "@/server/access-groups/policy";

type LimitsInput = Partial<{
  validFrom: string | null;
  validTo: string | null;
  daysOfWeek: readonly number[];
  windows: readonly { readonly start: string; readonly end: string }[];
}>;
const limits = (input: LimitsInput): Limits => limitsSchema.parse(input);
const at = (iso: string) => new Date(iso);

const paris = "Europe/Paris";
const berlin = "Europe/Berlin";
const newYork = "America/New_York";
const weekdays = [1, 2, 3, 4, 5];
const office = [{ start: "08:00", end: "18:00" }];
const night = [{ start: "22:00", end: "06:00" }];

type Expected = { allowed: true; windowEndsAt: string | null } | { allowed: false; rule: string; nextWindowStartsAt: string | null };
const open = (windowEndsAt: string | null): Expected => ({ allowed: true, windowEndsAt });
const shut = (rule: string, nextWindowStartsAt: string | null): Expected => ({ allowed: false, rule, nextWindowStartsAt });

// Paris is UTC+2 in June, UTC+1 in winter. 2025-06-02 is a Monday.
// DST 2025: Europe (Berlin, Paris) springs forward 03-30 at 01:00Z (02:00 → 03:00) and falls back
// 10-26 at 01:00Z (03:00 → 02:00); New York springs forward 03-09 at 07:00Z (02:00 → 03:00) and
// falls back 11-02 at 06:00Z (02:00 EDT → 01:00 EST).
const cases: [string, LimitsInput, string, string, Expected][] = [
  ["no limits: always allowed, with no end", {}, paris, "2025-06-02T10:00:00Z", open(null)],
  // windows are [start, end)
  ["window: the start minute is inside", { windows: office }, paris, "2025-06-02T06:00:00Z", open("2025-06-02T16:00:00.000Z")],
  ["window: one minute before the start is outside", { windows: office }, paris, "2025-06-02T05:59:00Z", shut("hours", "2025-06-02T06:00:00.000Z")],
  ["window: the end minute is outside", { windows: office }, paris, "2025-06-02T16:00:00Z", shut("hours", "2025-06-03T06:00:00.000Z")],
  [
    "several windows: the gap between them is outside",
    {
      windows: [
        { start: "08:00", end: "12:00" },
        { start: "14:00", end: "18:00" },
      ],
    },
    paris,
    "2025-06-02T11:00:00Z",
    shut("hours", "2025-06-02T12:00:00.000Z"),
  ],
  [
    "adjacent windows make one window",
    {
      windows: [
        { start: "08:00", end: "12:00" },
        { start: "12:00", end: "18:00" },
      ],
    },
    paris,
    "2025-06-02T09:00:00Z",
    open("2025-06-02T16:00:00.000Z"),
  ],
  // days of week
  ["days: a day not listed is refused", { daysOfWeek: weekdays }, paris, "2025-06-07T10:00:00Z", shut("daysOfWeek", "2025-06-08T22:00:00.000Z")],
  ["days: consecutive allowed days make one window", { daysOfWeek: weekdays }, paris, "2025-06-02T10:00:00Z", open("2025-06-06T22:00:00.000Z")],
  ["days and windows combine", { daysOfWeek: [1], windows: office }, paris, "2025-06-02T16:30:00Z", shut("hours", "2025-06-09T06:00:00.000Z")],
  // 2025-06-02T03:00Z is Monday in UTC and Sunday 20:00 in Los Angeles
  [
    "days are the group zone's: Sunday in Los Angeles is refused on weekdays",
    { daysOfWeek: weekdays },
    "America/Los_Angeles",
    "2025-06-02T03:00:00Z",
    shut("daysOfWeek", "2025-06-02T07:00:00.000Z"),
  ],
  ["days are the group zone's: Sunday in Los Angeles", { daysOfWeek: [7] }, "America/Los_Angeles", "2025-06-02T03:00:00Z", open("2025-06-02T07:00:00.000Z")],
  [
    "days are the group zone's: the same instant is Monday in UTC",
    { daysOfWeek: [7] },
    "UTC",
    "2025-06-02T03:00:00Z",
    shut("daysOfWeek", "2025-06-08T00:00:00.000Z"),
  ],
  // windows across midnight belong to the day they start
  ["night window: before midnight on its day", { daysOfWeek: [5], windows: night }, paris, "2025-06-06T21:00:00Z", open("2025-06-07T04:00:00.000Z")],
  ["night window: after midnight, the next day", { daysOfWeek: [5], windows: night }, paris, "2025-06-07T03:59:00Z", open("2025-06-07T04:00:00.000Z")],
  [
    "night window: its end is outside (and Saturday is not listed)",
    { daysOfWeek: [5], windows: night },
    paris,
    "2025-06-07T04:00:00Z",
    shut("daysOfWeek", "2025-06-13T20:00:00.000Z"),
  ],
  [
    "night window: it does not start on a day not listed",
    { daysOfWeek: [5], windows: night },
    paris,
    "2025-06-07T20:30:00Z",
    shut("daysOfWeek", "2025-06-13T20:00:00.000Z"),
  ],
  [
    "night window: its morning part needs the previous day listed",
    { daysOfWeek: [5], windows: night },
    paris,
    "2025-06-06T02:00:00Z",
    shut("daysOfWeek", "2025-06-06T20:00:00.000Z"),
  ],
  ["night window: its end is outside (every day listed)", { windows: night }, paris, "2025-06-07T04:00:00Z", shut("hours", "2025-06-07T20:00:00.000Z")],
  [
    "24-hour window (end equals start) runs to the next day",
    { daysOfWeek: [1], windows: [{ start: "08:00", end: "08:00" }] },
    paris,
    "2025-06-03T05:59:00Z",
    open("2025-06-03T06:00:00.000Z"),
  ],
  [
    "24-hour window ends at its start time",
    { daysOfWeek: [1], windows: [{ start: "08:00", end: "08:00" }] },
    paris,
    "2025-06-03T06:00:00Z",
    shut("daysOfWeek", "2025-06-09T06:00:00.000Z"),
  ],
  [
    "00:00–00:00 is the whole day",
    { daysOfWeek: [1], windows: [{ start: "00:00", end: "00:00" }] },
    paris,
    "2025-06-02T12:00:00Z",
    open("2025-06-02T22:00:00.000Z"),
  ],
  // validity dates, inclusive, in the group's zone
  ["validFrom: its first local instant is inside", { validFrom: "2025-06-02" }, paris, "2025-06-01T22:00:00Z", open(null)],
  ["validFrom: the instant before is outside", { validFrom: "2025-06-02" }, paris, "2025-06-01T21:59:59.999Z", shut("validFrom", "2025-06-01T22:00:00.000Z")],
  [
    "validFrom: the next start is the first window from that day",
    { validFrom: "2025-06-02", windows: office },
    paris,
    "2025-05-20T10:00:00Z",
    shut("validFrom", "2025-06-02T06:00:00.000Z"),
  ],
  [
    "validFrom: the next start honours the days",
    { validFrom: "2026-06-30", daysOfWeek: [1], windows: office },
    paris,
    "2025-06-02T10:00:00Z",
    shut("validFrom", "2026-07-06T06:00:00.000Z"),
  ],
  ["validTo: its last local instant is inside", { validTo: "2025-06-30" }, paris, "2025-06-30T21:59:59.999Z", open("2025-06-30T22:00:00.000Z")],
  ["validTo: the next local day is outside, for good", { validTo: "2025-06-30" }, paris, "2025-06-30T22:00:00Z", shut("validTo", null)],
  ["validTo: a far end date ends the window", { validTo: "2026-12-31" }, paris, "2025-06-02T10:00:00Z", open("2026-12-31T23:00:00.000Z")],
  [
    "validTo: cuts a night window that starts on it",
    { validTo: "2025-06-30", windows: night },
    paris,
    "2025-06-30T21:00:00Z",
    open("2025-06-30T22:00:00.000Z"),
  ],
  [
    "validTo: a night window cannot open past it",
    { validTo: "2025-06-30", windows: night },
    paris,
    "2025-06-30T12:00:00Z",
    shut("hours", "2025-06-30T20:00:00.000Z"),
  ],
  ["validTo: local end of day on a fall-back day", { validTo: "2025-11-02" }, newYork, "2025-11-03T04:59:00Z", open("2025-11-03T05:00:00.000Z")],
  [
    "nothing ever opens: next start is null",
    { validFrom: "2025-03-30", validTo: "2025-03-30", windows: [{ start: "02:15", end: "02:45" }] },
    berlin,
    "2025-03-29T12:00:00Z",
    shut("validFrom", null),
  ],
  // spring forward
  [
    "Berlin spring-forward: a window starting in the skipped hour opens when the clock jumps",
    { windows: [{ start: "02:30", end: "04:00" }] },
    berlin,
    "2025-03-30T00:59:00Z",
    shut("hours", "2025-03-30T01:00:00.000Z"),
  ],
  [
    "Berlin spring-forward: and closes at 04:00 CEST",
    { windows: [{ start: "02:30", end: "04:00" }] },
    berlin,
    "2025-03-30T01:00:00Z",
    open("2025-03-30T02:00:00.000Z"),
  ],
  [
    "Berlin spring-forward: a window inside the skipped hour does not happen that day",
    { daysOfWeek: [7], windows: [{ start: "02:15", end: "02:45" }] },
    berlin,
    "2025-03-29T12:00:00Z",
    shut("daysOfWeek", "2025-04-06T00:15:00.000Z"),
  ],
  ["Berlin spring-forward: a night window lasts 7 real hours", { windows: night }, berlin, "2025-03-29T21:00:00Z", open("2025-03-30T04:00:00.000Z")],
  [
    "New York spring-forward: a window starting in the skipped hour opens at 03:00 EDT",
    { windows: [{ start: "02:30", end: "03:30" }] },
    newYork,
    "2025-03-09T06:59:00Z",
    shut("hours", "2025-03-09T07:00:00.000Z"),
  ],
  [
    "New York spring-forward: and closes at 03:30 EDT",
    { windows: [{ start: "02:30", end: "03:30" }] },
    newYork,
    "2025-03-09T07:00:00Z",
    open("2025-03-09T07:30:00.000Z"),
  ],
  // fall back
  [
    "Berlin fall-back: 02:30 window, first pass (CEST)",
    { windows: [{ start: "02:30", end: "02:45" }] },
    berlin,
    "2025-10-26T00:35:00Z",
    open("2025-10-26T00:45:00.000Z"),
  ],
  [
    "Berlin fall-back: between the passes the window reopens at 02:30 CET",
    { windows: [{ start: "02:30", end: "02:45" }] },
    berlin,
    "2025-10-26T00:50:00Z",
    shut("hours", "2025-10-26T01:30:00.000Z"),
  ],
  [
    "Berlin fall-back: 02:30 window, second pass (CET)",
    { windows: [{ start: "02:30", end: "02:45" }] },
    berlin,
    "2025-10-26T01:35:00Z",
    open("2025-10-26T01:45:00.000Z"),
  ],
  [
    "Berlin fall-back: the clock falling back into a window opens it",
    { windows: [{ start: "01:00", end: "02:30" }] },
    berlin,
    "2025-10-26T00:35:00Z",
    shut("hours", "2025-10-26T01:00:00.000Z"),
  ],
  [
    "New York fall-back: 01:30 window, first pass (EDT)",
    { windows: [{ start: "01:30", end: "01:45" }] },
    newYork,
    "2025-11-02T05:35:00Z",
    open("2025-11-02T05:45:00.000Z"),
  ],
  [
    "New York fall-back: reopens at 01:30 EST",
    { windows: [{ start: "01:30", end: "01:45" }] },
    newYork,
    "2025-11-02T05:50:00Z",
    shut("hours", "2025-11-02T06:30:00.000Z"),
  ],
  [
    "New York fall-back: 01:30 window, second pass (EST)",
    { windows: [{ start: "01:30", end: "01:45" }] },
    newYork,
    "2025-11-02T06:35:00Z",
    open("2025-11-02T06:45:00.000Z"),
  ],
  [
    "New York fall-back: a window holding the repeated hour stays open through it",
    { windows: [{ start: "01:00", end: "02:00" }] },
    newYork,
    "2025-11-02T05:10:00Z",
    open("2025-11-02T07:00:00.000Z"),
  ],
  [
    "New York fall-back: 00:00–03:00 lasts 4 real hours",
    { windows: [{ start: "00:00", end: "03:00" }] },
    newYork,
    "2025-11-02T04:30:00Z",
    open("2025-11-02T08:00:00.000Z"),
  ],
];

describe("evaluateLimits", () => {
  it.each(cases)("%s", (_label, input, tz, now, expected) => {
    const result = evaluateLimits(limits(input), tz, at(now));
    if (result.allowed) {
      expect({ allowed: true, windowEndsAt: result.windowEndsAt?.toISOString() ?? null }).toEqual(expected);
    } else {
      expect({ allowed: false, rule: result.rule, nextWindowStartsAt: result.nextWindowStartsAt?.toISOString() ?? null }).toEqual(expected);
    }
  });

  it.each([
    ["hours", { windows: office }, paris, "2025-06-02T17:00:00Z", "Outside the allowed hours 08:00–18:00 (Europe/Paris)"],
    [
      "several windows",
      {
        windows: [
          { start: "08:00", end: "12:00" },
          { start: "14:00", end: "18:00" },
        ],
      },
      paris,
      "2025-06-02T11:00:00Z",
      "Outside the allowed hours 08:00–12:00, 14:00–18:00 (Europe/Paris)",
    ],
    [
      "a day run",
      { daysOfWeek: weekdays },
      "America/Los_Angeles",
      "2025-06-02T03:00:00Z",
      "Not allowed on Sunday; allowed days are Monday to Friday (America/Los_Angeles)",
    ],
    ["scattered days", { daysOfWeek: [1, 3] }, paris, "2025-06-03T10:00:00Z", "Not allowed on Tuesday; allowed days are Monday, Wednesday (Europe/Paris)"],
    [
      "mixed days",
      { daysOfWeek: [1, 2, 3, 5, 6] },
      paris,
      "2025-06-05T10:00:00Z",
      "Not allowed on Thursday; allowed days are Monday to Wednesday, Friday, Saturday (Europe/Paris)",
    ],
    [
      "a night window started on a day not listed",
      { daysOfWeek: [5], windows: night },
      paris,
      "2025-06-07T20:30:00Z",
      "The 22:00–06:00 window that started on Saturday is not allowed; allowed days are Friday (Europe/Paris)",
    ],
    [
      "not yet valid",
      { validFrom: "2025-06-02" },
      paris,
      "2025-05-01T10:00:00Z",
      "Not valid yet: access through this group starts on 2025-06-02 (Europe/Paris)",
    ],
    [
      "no longer valid",
      { validTo: "2025-06-30" },
      paris,
      "2025-07-01T10:00:00Z",
      "No longer valid: access through this group ended on 2025-06-30 (Europe/Paris)",
    ],
  ] as const)("says which rule refused: %s", (_label, input, tz, now, reason) => {
    const result = evaluateLimits(limits(input), tz, at(now));
    expect(result.allowed ? null : result.reason).toBe(reason);
  });

  it("refuses an unknown time zone and an invalid instant", () => {
    expect(() => evaluateLimits(limits({}), "Mars/Olympus_Mons", at("2025-06-02T10:00:00Z"))).toThrow("Unknown time zone: Mars/Olympus_Mons");
    expect(() => evaluateLimits(limits({}), paris, new Date(Number.NaN))).toThrow("now is not a valid date");
    expect(() => clipGrantEnd(limits({}), paris, at("2025-06-02T10:00:00Z"), new Date(Number.NaN))).toThrow("requestedEnd is not a valid date");
  });
});

describe("clipGrantEnd", () => {
  it.each([
    ["no limits: the requested end", {}, paris, "2025-06-02T10:00:00Z", "2025-06-02T14:00:00Z", "2025-06-02T14:00:00.000Z"],
    ["a request inside the window is kept", { windows: office }, paris, "2025-06-02T10:00:00Z", "2025-06-02T12:00:00Z", "2025-06-02T12:00:00.000Z"],
    ["a request past the window ends with it", { windows: office }, paris, "2025-06-02T15:00:00Z", "2025-06-02T19:00:00Z", "2025-06-02T16:00:00.000Z"],
    [
      "a request past validTo ends with that day",
      { validTo: "2025-06-30", windows: night },
      paris,
      "2025-06-30T21:00:00Z",
      "2025-07-01T02:00:00Z",
      "2025-06-30T22:00:00.000Z",
    ],
    ["a night window on the spring-forward night", { windows: night }, berlin, "2025-03-29T21:00:00Z", "2025-03-30T05:00:00Z", "2025-03-30T04:00:00.000Z"],
    ["a start outside the limits gets an empty grant", { windows: office }, paris, "2025-06-02T17:00:00Z", "2025-06-02T19:00:00Z", "2025-06-02T17:00:00.000Z"],
  ] as const)("%s", (_label, input, tz, start, requestedEnd, expected) => {
    expect(clipGrantEnd(limits(input), tz, at(start), at(requestedEnd)).toISOString()).toBe(expected);
  });
});
