import { describe, expect, it } from "vitest";
import {
  accessGroupPolicySchema,
  chooseGroupForRequest,
  effectiveAccess,
  groupsAllowing,
  indexDevicesByName,
  requiredRequestFields,
  type AccessGroupPolicy,
  type GroupSettings,
} from "@/server/access-groups/policy";

type GroupInput = { id: string; name?: string; enabled?: boolean; timeZone?: string } & Partial<{
  settings: Partial<GroupSettings>;
  criteria: Record<string, string[]>;
  limits: Record<string, unknown>;
  locations: { restrict: boolean; allowed: { country: string; region?: string }[] };
}>;
const group = (input: GroupInput): AccessGroupPolicy =>
  accessGroupPolicySchema.parse({
    name: input.id,
    enabled: true,
    timeZone: "Europe/Paris",
    settings: {},
    criteria: {},
    limits: {},
    locations: {},
    ...input,
  });

const devices = [
  { id: "d1", name: "SRV-SQL01", model: "Windows Server 2022", type: "server", tags: ["db"], website: null },
  { id: "d2", name: "WEB01", model: "Ubuntu", type: "server", tags: ["dmz"], website: null },
];
const privileges = [
  { id: "p1", name: "SQL Admins", tags: ["db"] },
  { id: "p2", name: "Web Admins", tags: ["web"] },
  { id: "p3", name: "Domain Admins", tags: ["tier0"] },
];
const credentials = [
  { id: "c1", username: "adm-sql", type: "local", tags: [], deviceNames: ["SRV-SQL01"] },
  { id: "c2", username: "adm-web", type: "local", tags: [], deviceNames: ["WEB01"] },
];

describe("effectiveAccess", () => {
  const dba = group({ id: "dba", criteria: { privilegeNames: ["SQL*"], deviceTags: ["db"] } });
  const web = group({ id: "web", criteria: { privilegeTags: ["web", "db"] } });
  const off = group({ id: "off", enabled: false, criteria: { privilegeNames: ["Domain*"], credentialUsernames: ["*"] } });
  const access = effectiveAccess([dba, web, off], { privileges, credentials, devices });

  it.each([
    ["p1", ["dba", "web"]],
    ["p2", ["web"]],
  ])("privilege %s is allowed by %j (the union, with every group allowing it)", (id, groupIds) => {
    expect(access.privileges.find((e) => e.privilege.id === id)?.groups.map((g) => g.id)).toEqual(groupIds);
  });

  it("lists only privileges some enabled group allows (a disabled group adds nothing)", () => {
    expect(access.privileges.map((e) => e.privilege.id)).toEqual(["p1", "p2"]);
  });

  it("lists the privileged accounts each group lets the user elevate", () => {
    expect(access.credentials.map((e) => [e.credential.id, e.groups.map((g) => g.id)])).toEqual([["c1", ["dba"]]]);
  });

  it("allows nothing without groups", () => {
    expect(effectiveAccess([], { privileges, credentials, devices })).toEqual({ privileges: [], credentials: [] });
  });
});

describe("groupsAllowing", () => {
  const index = indexDevicesByName(devices);
  const selfOnly = group({ id: "self-only", criteria: { privilegeNames: ["SQL*"] } });
  const sqlBoxes = group({ id: "sql-boxes", criteria: { privilegeNames: ["SQL*"], deviceNames: ["SRV-SQL*"] } });
  const off = group({ id: "off", enabled: false, criteria: {} });
  const all = [selfOnly, sqlBoxes, off];

  it.each([
    ["the requester's own account needs only the privilege", privileges[0]!, null, ["self-only", "sql-boxes"]],
    ["a privileged account needs the same group's credential criteria", privileges[0]!, credentials[0]!, ["sql-boxes"]],
    ["a privileged account the group does not select", privileges[0]!, credentials[1]!, []],
    ["a privilege no group selects", privileges[2]!, null, []],
  ] as const)("%s", (_label, privilege, credential, expected) => {
    expect(groupsAllowing(all, { privilege, credential }, index).map((g) => g.id)).toEqual(expected);
  });
});

describe("requiredRequestFields", () => {
  it.each([
    [{}, []],
    [{ requiresJustification: true }, ["justification"]],
    [{ requiresChangeId: true }, ["changeId"]],
    [{ requiresGovernanceCode: true }, ["governanceCode"]],
    [{ requiresJustification: true, requiresChangeId: true, requiresGovernanceCode: true }, ["justification", "changeId", "governanceCode"]],
  ] as const)("%j → %j", (settings, expected) => {
    expect(requiredRequestFields(group({ id: "g", settings }).settings)).toEqual(expected);
  });
});

describe("chooseGroupForRequest", () => {
  const mondayNoon = new Date("2025-06-02T10:00:00Z"); // 12:00 in Paris
  const paris = { country: "FR", region: "FR-IDF" };

  const plain = group({ id: "plain", name: "Zulu" });
  const approval = group({ id: "approval", name: "Alpha", settings: { requiresApproval: true } });
  const justified = group({ id: "justified", name: "Bravo", settings: { requiresJustification: true } });
  const ticketed = group({ id: "ticketed", name: "Able", settings: { requiresJustification: true, requiresChangeId: true } });
  const lowerName = group({ id: "lower", name: "charlie" });
  const upperName = group({ id: "upper", name: "Charlie" });
  const sameName1 = group({ id: "b-id", name: "Same" });
  const sameName2 = group({ id: "a-id", name: "Same" });
  const morning = group({ id: "morning", name: "Morning", limits: { windows: [{ start: "08:00", end: "11:00" }] } });
  const office = group({ id: "office", name: "Office", settings: { requiresApproval: true }, limits: { windows: [{ start: "08:00", end: "18:00" }] } });
  const germany = group({ id: "germany", name: "Germany only", locations: { restrict: true, allowed: [{ country: "DE" }] } });
  const disabled = group({ id: "disabled", name: "Aardvark", enabled: false });
  const emergencyWithApproval = group({ id: "em-approval", name: "Em A", settings: { requiresApproval: true, allowsEmergencyAccess: true } });
  const emergencyNoApproval = group({ id: "em-plain", name: "Em B", settings: { requiresJustification: true, allowsEmergencyAccess: true } });

  it.each([
    ["no approval beats approval, whatever the names", [approval, plain], "plain"],
    ["fewer required fields win", [ticketed, justified], "justified"],
    ["no required field beats one", [justified, plain], "plain"],
    ["then the name, ignoring case", [plain, lowerName], "lower"],
    ["then the exact name", [lowerName, upperName], "upper"],
    ["then the id", [sameName1, sameName2], "a-id"],
    ["a group whose limits refuse now is skipped", [morning, office], "office"],
    ["a group whose locations refuse is skipped", [germany, approval], "approval"],
    ["a disabled group is skipped", [disabled, approval], "approval"],
  ] as const)("%s", (_label, groups, expected) => {
    const forward = chooseGroupForRequest(groups, mondayNoon, paris);
    const backward = chooseGroupForRequest([...groups].reverse(), mondayNoon, paris);
    expect(forward.ok ? forward.group.id : forward.reason).toBe(expected);
    expect(backward.ok ? backward.group.id : backward.reason).toBe(expected);
  });

  it.each([
    ["only groups allowing emergency access qualify", [plain, emergencyWithApproval], "em-approval"],
    ["approval is waived, so fewer fields win over no approval", [emergencyNoApproval, emergencyWithApproval], "em-approval"],
  ] as const)("emergency: %s", (_label, groups, expected) => {
    const choice = chooseGroupForRequest(groups, mondayNoon, paris, { emergency: true });
    expect(choice.ok ? choice.group.id : choice.reason).toBe(expected);
  });

  it("returns when the chosen group's window ends", () => {
    const choice = chooseGroupForRequest([office], mondayNoon, paris);
    expect(choice.ok && choice.windowEndsAt?.toISOString()).toBe("2025-06-02T16:00:00.000Z");
  });

  it("lists why every group refused", () => {
    const choice = chooseGroupForRequest([morning, germany, disabled, plain], mondayNoon, paris, { emergency: true });
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.refusals.map((r) => [r.group.id, r.rule])).toEqual([
      ["morning", "emergency"],
      ["germany", "emergency"],
      ["disabled", "disabled"],
      ["plain", "emergency"],
    ]);
  });

  it("names each group and its rule in the refusal", () => {
    const choice = chooseGroupForRequest([morning, germany], mondayNoon, paris);
    expect(choice.ok).toBe(false);
    if (choice.ok) return;
    expect(choice.reason).toBe(
      "No access group allows this right now. Morning: Outside the allowed hours 08:00–11:00 (Europe/Paris); Germany only: Access from FR-IDF is not allowed; allowed locations: DE",
    );
    expect(choice.refusals.map((r) => [r.rule, r.nextWindowStartsAt?.toISOString() ?? null])).toEqual([
      ["hours", "2025-06-03T06:00:00.000Z"],
      ["location", null],
    ]);
  });

  it("refuses an unknown location only for groups restricting locations", () => {
    const choice = chooseGroupForRequest([germany, approval], mondayNoon, null);
    expect(choice.ok && choice.group.id).toBe("approval");
  });

  it("refuses when no group allows the target at all", () => {
    expect(chooseGroupForRequest([], mondayNoon, paris)).toEqual({ ok: false, reason: "None of your access groups allows this", refusals: [] });
  });
});
