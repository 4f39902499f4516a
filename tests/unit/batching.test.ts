import { describe, expect, it } from "vitest";
import { applyInBatches, type BatchOutcome } from "@/server/directory/batching";

/** A fake group: a modify fails whole (conflict) when any value is already present. */
function fakeGroup(existing: string[]) {
  const members = new Set(existing);
  const calls: string[][] = [];
  const add = async (batch: string[]): Promise<BatchOutcome> => {
    calls.push(batch);
    if (batch.some((v) => members.has(v))) return "conflict";
    batch.forEach((v) => members.add(v));
    return "applied";
  };
  return { members, calls, add };
}

const values = (n: number) => Array.from({ length: n }, (_, i) => `m${i}`);

describe("applyInBatches", () => {
  it("sends one modify per batch when nothing conflicts", async () => {
    const g = fakeGroup([]);
    const r = await applyInBatches(values(1200), 500, g.add);
    expect(g.calls.map((c) => c.length)).toEqual([500, 500, 200]);
    expect(r.applied).toHaveLength(1200);
    expect(r.alreadyDone).toEqual([]);
    expect(r.modifies).toBe(3);
  });

  it("splits a conflicting batch until the offending value stands alone", async () => {
    const g = fakeGroup(["m7"]);
    const r = await applyInBatches(values(16), 16, g.add);
    expect(r.alreadyDone).toEqual(["m7"]);
    expect(r.applied.sort()).toEqual(
      values(16)
        .filter((v) => v !== "m7")
        .sort(),
    );
    expect([...g.members].sort()).toEqual(values(16).sort());
    // 16 → 8+8 → (4+4) → (2+2) → (1+1): far fewer than 16 single modifies.
    expect(r.modifies).toBeLessThan(12);
  });

  it("treats every value as already done when all conflict", async () => {
    const g = fakeGroup(values(4));
    const r = await applyInBatches(values(4), 4, g.add);
    expect(r.alreadyDone.sort()).toEqual(values(4));
    expect(r.applied).toEqual([]);
  });

  it("rethrows errors that are not conflicts", async () => {
    await expect(applyInBatches(values(3), 2, async () => Promise.reject(new Error("unreachable")))).rejects.toThrow("unreachable");
  });

  it("does nothing for no values", async () => {
    const g = fakeGroup([]);
    const r = await applyInBatches([], 10, g.add);
    expect(r.modifies).toBe(0);
    expect(g.calls).toEqual([]);
  });
});
