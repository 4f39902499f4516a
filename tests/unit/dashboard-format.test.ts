import { describe, expect, it } from "vitest";
import { bucketLabel, formatSeconds, formatSecondsShort, OUTCOMES } from "@/app/(admin)/admin/_components/dashboard-format";
import { requestStatus } from "@/db/schema/requests";

/* The dashboard's labels: the same text on the server and in the browser (UTC, no locale), and every outcome drawn. */

describe("dashboard labels", () => {
  it("names buckets in UTC: the hour, the weekday and hour of a six-hour bucket, the day", () => {
    const t = Date.UTC(2026, 11, 8, 6); // Tuesday 8 December 2026, 06:00 UTC
    expect(bucketLabel(t, 1)).toBe("06:00");
    expect(bucketLabel(t, 6)).toBe("Tue 06:00");
    expect(bucketLabel(Date.UTC(2026, 11, 8), 24)).toBe("Tue 8 Dec");
  });

  it("writes durations for people and short ones for an axis", () => {
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(0.44)).toBe("0.4 s");
    expect(formatSeconds(35)).toBe("35 s");
    expect(formatSeconds(62)).toBe("1 min 2 s");
    expect(formatSeconds(120)).toBe("2 min");
    expect(formatSeconds(7800)).toBe("2 h 10 min");
    expect(formatSeconds(-5)).toBe("−5 s");
    expect(formatSecondsShort(80)).toBe("1.3 min");
    expect(formatSecondsShort(40)).toBe("40 s");
    expect(formatSecondsShort(5400)).toBe("1.5 h");
  });

  it("has a label and colour for every request status, and no two alike", () => {
    expect(OUTCOMES.map((o) => o.key).sort()).toEqual([...requestStatus.enumValues].sort());
    expect(new Set(OUTCOMES.map((o) => o.color)).size).toBe(OUTCOMES.length);
  });
});
