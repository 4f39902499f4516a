import { describe, expect, it } from "vitest";
import { BACKOFF_MAX_MS, crashesAfterExit, HEALTHY_AFTER_MS, restartDelay } from "../../scripts/lib/supervisor";

describe("the dev/start supervisor's restart policy", () => {
  it("backs off 1 s, 2 s, 4 s … up to 30 s while a child keeps crashing", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(restartDelay)).toEqual([1000, 2000, 4000, 8000, 16000, BACKOFF_MAX_MS, BACKOFF_MAX_MS, BACKOFF_MAX_MS]);
  });
  it("starts the count over once a child ran a minute", () => {
    expect(crashesAfterExit(5, 2_000)).toBe(6);
    expect(crashesAfterExit(5, HEALTHY_AFTER_MS)).toBe(1);
    expect(crashesAfterExit(0, 10)).toBe(1);
  });
});
