import { describe, expect, it } from "vitest";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { lastLevel, levelCount, requiredAt } from "@/server/approvals/levels";

const policy = (levels: number[], required: { level: number; requiredApprovals: number }[] = []): FrozenPolicy => ({
  group: {} as FrozenPolicy["group"],
  levels: required,
  approvers: levels.map((level, i) => ({ userGuid: `g${i}`, username: `u${i}`, displayName: `U${i}`, level })),
  checkedAt: "2026-01-01T00:00:00.000Z",
});

describe("approval levels", () => {
  it("counts the levels that have approvers: none without approvers", () => {
    expect(levelCount(policy([]))).toBe(0);
    expect(levelCount(policy([1, 1]))).toBe(1);
    expect(levelCount(policy([1, 2, 2]))).toBe(2);
  });

  it("waits at level 1 at least, and needs one approval per level unless the policy says more", () => {
    expect(lastLevel(policy([]))).toBe(1);
    expect(lastLevel(policy([1, 2]))).toBe(2);
    expect(requiredAt(policy([1, 1], [{ level: 1, requiredApprovals: 2 }]), 1)).toBe(2);
    expect(requiredAt(policy([1, 2]), 2)).toBe(1);
  });
});
