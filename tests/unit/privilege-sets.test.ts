import { describe, expect, it } from "vitest";
import { accountRefusal, setDurations } from "@/server/privilege-sets/eligibility";
import { foldSetRequests, setState, type GrantColumns } from "@/server/privilege-sets/my-access";
import { createPrivilegeSetInput, updatePrivilegeSetInput } from "@/server/privilege-sets/schemas";
import type { LoadedSet } from "@/server/privilege-sets/store";
import { submitRequestInput } from "@/server/requests/schemas";
import { buildTimeline } from "@/server/requests/timeline";

const ID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

describe("privilege set inputs", () => {
  const valid = { name: "Tier-1 operations", privilegeIds: [ID(1), ID(2)], credentialIds: [ID(3)] };

  it("defaults the optional fields", () => {
    expect(createPrivilegeSetInput.parse(valid)).toEqual({ ...valid, description: "", allowOwnAccount: false });
  });
  it("needs a privilege, no duplicates, and someone who may use the set", () => {
    const issues = (input: unknown) => createPrivilegeSetInput.safeParse(input).error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues({ ...valid, privilegeIds: [] })).toEqual([["privilegeIds", "Pick at least one privilege"]]);
    expect(issues({ ...valid, privilegeIds: [ID(1), ID(1)] })).toEqual([["privilegeIds", "The same privilege is listed twice"]]);
    expect(issues({ ...valid, credentialIds: [] })).toEqual([["credentialIds", "Pick at least one privileged account, or allow the requester's own account"]]);
    expect(createPrivilegeSetInput.safeParse({ ...valid, credentialIds: [], allowOwnAccount: true }).success).toBe(true);
  });
  it("refuses fields it does not know, and an update needs its id and enabled flag", () => {
    expect(createPrivilegeSetInput.safeParse({ ...valid, enabled: true }).success).toBe(false);
    expect(updatePrivilegeSetInput.safeParse(valid).success).toBe(false);
    expect(updatePrivilegeSetInput.safeParse({ ...valid, id: ID(9), enabled: false }).success).toBe(true);
  });
  it("a request asks for exactly one privilege or one set", () => {
    expect(submitRequestInput.safeParse({ privilegeSetId: ID(1), durationMinutes: 5 }).success).toBe(true);
    for (const bad of [{ durationMinutes: 5 }, { privilegeId: ID(1), privilegeSetId: ID(2), durationMinutes: 5 }]) {
      expect(submitRequestInput.safeParse(bad).error?.issues[0]?.message).toBe("Ask for either one privilege or one privilege set");
    }
  });
});

describe("set durations and accounts", () => {
  it("lasts at most the shortest maximum of its privileges, and defaults within it", () => {
    expect(
      setDurations([
        { maxDurationMinutes: 240, defaultDurationMinutes: 60 },
        { maxDurationMinutes: 30, defaultDurationMinutes: 15 },
      ]),
    ).toEqual({ maxDurationMinutes: 30, defaultDurationMinutes: 15 });
    expect(
      setDurations([
        { maxDurationMinutes: 20, defaultDurationMinutes: 20 },
        { maxDurationMinutes: 240, defaultDurationMinutes: 60 },
      ]),
    ).toEqual({ maxDurationMinutes: 20, defaultDurationMinutes: 20 });
  });

  const account = (id: number, username: string) => ({ id: ID(id), username }) as LoadedSet["accounts"][number];
  const set = (allowOwnAccount: boolean) => ({ name: "Ops", allowOwnAccount, accounts: [account(1, "adm-a")] }) as LoadedSet;
  it("is for the accounts it lists, and the requester's own only where it allows it", () => {
    expect(accountRefusal(set(false), account(1, "adm-a"))).toBeNull();
    expect(accountRefusal(set(false), account(2, "adm-b"))).toBe('adm-b is not one of the accounts allowed to use the privilege set "Ops" (adm-a).');
    expect(accountRefusal(set(false), null)).toBe('The privilege set "Ops" is for its privileged accounts only (adm-a): pick one of them.');
    expect(accountRefusal(set(true), null)).toBeNull();
  });
});

describe("a set as one", () => {
  it("is failed if one grant failed, on its way while one is, active when all are, ended when all are", () => {
    expect(setState(["active", "failed", "revoked"])).toBe("failed");
    expect(setState(["pending", "pending"])).toBe("pending");
    expect(setState(["active", "pending"])).toBe("provisioning");
    expect(setState(["active", "provisioning"])).toBe("provisioning");
    expect(setState(["active", "active"])).toBe("active");
    expect(setState(["active", "expiring"])).toBe("expiring");
    expect(setState(["active", "expired"])).toBe("active");
    expect(setState(["active", "replicating"])).toBe("replicating");
    expect(setState(["expired", "revoked"])).toBe("revoked");
    expect(setState(["expired", "expired"])).toBe("expired");
  });

  const row = (over: Partial<GrantColumns>): GrantColumns => ({
    requestId: "r1",
    privilege: "First",
    privilegeSet: null,
    grantId: null,
    grantPrivilege: null,
    grantState: null,
    activatedAt: null,
    expiresAt: null,
    removedAt: null,
    endReason: null,
    lastError: null,
    attempts: null,
    allowExtension: true,
    ...over,
  });

  it("folds a set request's grants into one row named after the set, in the order of the list", () => {
    const single = row({ requestId: "r0", privilege: "Alone", grantId: "g0", grantPrivilege: "Alone", grantState: "active" });
    const set = { requestId: "r1", privilegeSet: "Ops" };
    const rows = [
      single,
      row({ ...set, grantId: "g2", grantPrivilege: "Web", grantState: "active", activatedAt: at(2), expiresAt: at(32) }),
      row({ ...set, grantId: "g1", grantPrivilege: "SQL", grantState: "failed", lastError: "no such group", attempts: 8 }),
      row({ requestId: "r2", privilegeSet: "Ops" }),
    ];
    const folded = foldSetRequests(rows);
    expect(folded.map((r) => r.requestId)).toEqual(["r0", "r1", "r2"]);
    expect(folded[0]).toEqual({ ...single, setGrants: [] });
    expect(folded[1]).toMatchObject({
      privilege: "Ops",
      // The live sibling stands for the set (ending it ends the set; the failed one cannot be ended).
      grantId: "g2",
      grantState: "failed",
      activatedAt: at(2),
      expiresAt: at(32),
      lastError: "no such group",
      attempts: 8,
      allowExtension: false,
      setGrants: [
        { grantId: "g1", privilege: "SQL", state: "failed", lastError: "no such group" },
        { grantId: "g2", privilege: "Web", state: "active", lastError: null },
      ],
    });
    // Waiting for approval: no grants yet, still named after the set and never extendable.
    expect(folded[2]).toMatchObject({ privilege: "Ops", grantId: null, allowExtension: false, setGrants: [] });
  });
});

describe("a set request's timeline", () => {
  it("names the privilege of each grant step, and tells a rollback as a failure", () => {
    const steps = buildTimeline(
      [
        { seq: 1, at: at(0), actorType: "system", actorName: null, action: "grant.activated", data: { expiresAt: at(30).toISOString() }, subject: "SQL" },
        { seq: 2, at: at(1), actorType: "system", actorName: null, action: "grant.rolled_back", data: { failedPrivilege: "Web" }, subject: "SQL" },
        { seq: 3, at: at(1), actorType: "system", actorName: null, action: "request.rolled_back", data: { failedPrivilege: "Web", reason: "No such object" } },
      ],
      { requestStatus: "failed", currentLevel: 1, levels: 1, grantState: "failed", expiresAt: null, startsAt: null },
      at(2),
    );
    expect(steps.map((s) => [s.label, s.detail, s.tone])).toEqual([
      ["SQL: Active", null, "done"],
      ["SQL: Rolled back", '"Web" could not be granted', "failed"],
      ["Privilege set rolled back", '"Web" could not be granted · No such object', "failed"],
    ]);
  });
});

function at(m: number) {
  return new Date(Date.UTC(2026, 0, 1, 10, m));
}
