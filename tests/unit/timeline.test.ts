import { describe, expect, it } from "vitest";
import { buildTimeline, timelineInput, type AuditRowLike, type TimelineCurrent } from "@/server/requests/timeline";

const T0 = Date.parse("2026-03-02T09:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const NOW = at(600);

const person = (name: string) => ({ actorType: "user", actorName: name });
const worker = { actorType: "system", actorName: "interim-worker" };

type Actor = { actorType: string; actorName: string | null };

/** Audit rows in chain order, `seconds` after T0 each; "extension" marks rows of an extension request. */
function trail(...events: [number, Actor, string, Record<string, unknown>, "extension"?][]): AuditRowLike[] {
  return events.map(([seconds, actor, action, data, about], i) => ({ seq: i + 1, at: at(seconds), ...actor, action, data, extension: about === "extension" }));
}

const state = (s: Partial<TimelineCurrent>): TimelineCurrent => ({
  requestStatus: "approved",
  currentLevel: 1,
  levels: 1,
  grantState: null,
  expiresAt: null,
  startsAt: null,
  ...s,
});

/** grant.replicated / grant.removal_replicated data: each DC with its delay (null = never seen). */
const replicated = (settledBy: string, dcs: [string, number | null][], unconfirmed: string[]) => ({
  groupDn: "CN=g",
  memberDn: "CN=alice",
  mode: "verify",
  settledBy,
  verified: settledBy === "verified",
  elapsedMs: 0,
  dcs: dcs.map(([host, seenAfterMs]) => ({ host, seenAfterMs, error: null })),
  unconfirmed,
});

const view = (steps: ReturnType<typeof buildTimeline>) => steps.map((s) => [s.label, s.actor, s.detail, s.tone]);

const submitted = (minutes = 60, extra: Record<string, unknown> = {}) => ({
  privilegeId: "p",
  privilege: "SQL admins",
  durationMinutes: minutes,
  justification: "",
  targetDn: "CN=alice",
  ...extra,
});

describe("buildTimeline", () => {
  const cases: { name: string; rows: AuditRowLike[]; current: TimelineCurrent; expected: unknown[][] }[] = [
    {
      name: "auto-approved, provisioned, active, expiring later",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(60, { justification: "INC-42" })],
        [0, person("alice"), "request.approved", { automatic: true, grantId: "g" }],
        [1, worker, "grant.provisioning", { attempt: 1, groupDn: "CN=g", memberDn: "CN=alice" }],
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(3602).toISOString(), alreadyMember: false }],
      ),
      current: state({ grantState: "active", expiresAt: at(3602) }),
      expected: [
        ["Requested by alice (1 h)", "alice", "INC-42", "done"],
        ["Approved automatically", null, null, "done"],
        ["Provisioning", "Interim", null, "done"],
        ["Active", "Interim", null, "current"],
        ["Expires", null, null, "upcoming"],
      ],
    },
    {
      name: "two levels of approval with comments and a shortened duration",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(90)],
        [10, person("bob"), "request.decision", { level: 1, decision: "approve", comment: "ok for the patch", durationMinutes: null }],
        [10, person("bob"), "request.level_completed", { level: 1, approvals: 1, nextLevel: 2 }],
        [20, person("dave"), "request.decision", { level: 2, decision: "approve", comment: "", durationMinutes: 30 }],
        [20, person("dave"), "request.level_completed", { level: 2, approvals: 1, nextLevel: null }],
        [20, person("dave"), "request.approved", { automatic: false, grantId: "g" }],
      ),
      current: state({ levels: 2, currentLevel: 2, grantState: "pending" }),
      expected: [
        ["Requested by alice (1 h 30 min)", "alice", null, "done"],
        ["Level 1 approved by bob", "bob", "ok for the patch", "done"],
        ["Level 1 complete", "bob", "1 approval", "done"],
        ["Level 2 approved by dave", "dave", "duration set to 30 min", "done"],
        ["Level 2 complete", "dave", "1 approval", "done"],
        ["Approved", "dave", null, "done"],
        ["Provisioning", null, null, "upcoming"],
      ],
    },
    {
      name: "denied: one step for the decision, with the comment",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(15)],
        [30, person("carol"), "request.decision", { level: 1, decision: "deny", comment: "not during the freeze", durationMinutes: null }],
        [30, person("carol"), "request.denied", { level: 1, comment: "not during the freeze" }],
      ),
      current: state({ requestStatus: "denied" }),
      expected: [
        ["Requested by alice (15 min)", "alice", null, "done"],
        ["Denied by carol", "carol", "not during the freeze", "failed"],
      ],
    },
    {
      name: "a failed activation, then success on the second attempt",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(5)],
        [0, person("alice"), "request.approved", { automatic: true, grantId: "g" }],
        [1, worker, "grant.provisioning", { attempt: 1, groupDn: "CN=g", memberDn: "CN=alice" }],
        [2, worker, "grant.activation_failed", { attempt: 1, error: "DC unreachable", final: false }],
        [5, worker, "grant.provisioning", { attempt: 2, groupDn: "CN=g", memberDn: "CN=alice" }],
      ),
      current: state({ grantState: "provisioning" }),
      expected: [
        ["Requested by alice (5 min)", "alice", null, "done"],
        ["Approved automatically", null, null, "done"],
        ["Provisioning", "Interim", null, "done"],
        ["Activation failed: DC unreachable", "Interim", "will retry", "failed"],
        ["Provisioning (attempt 2)", "Interim", null, "current"],
      ],
    },
    {
      name: "removal after expiry with its lag, and an end requested then already absent",
      rows: trail(
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(62).toISOString(), alreadyMember: false }],
        [
          62,
          worker,
          "grant.removed",
          {
            groupDn: "CN=g",
            memberDn: "CN=alice",
            reason: "expired",
            expiresAt: at(62).toISOString(),
            lagMs: 850,
            alreadyAbsent: false,
            keptPreExisting: false,
          },
        ],
        [70, person("admin"), "grant.end_requested", { reason: "revoked", previousExpiresAt: null }],
        [
          71,
          worker,
          "grant.removed",
          {
            groupDn: "CN=g",
            memberDn: "CN=alice",
            reason: "revoked",
            expiresAt: at(70).toISOString(),
            lagMs: 1200,
            alreadyAbsent: true,
            keptPreExisting: false,
          },
        ],
        [
          72,
          worker,
          "grant.removed",
          { groupDn: "CN=g", memberDn: "CN=alice", reason: "expired", expiresAt: at(70).toISOString(), lagMs: 3, alreadyAbsent: false, keptPreExisting: true },
        ],
      ),
      current: state({ grantState: "expired", expiresAt: at(62) }),
      expected: [
        ["Active", "Interim", null, "done"],
        ["Removed from the AD group", "Interim", "850 ms after the expiry", "done"],
        ["End requested by admin", "admin", "revoked", "done"],
        ["Removed from the AD group", "Interim", "was already absent", "done"],
        ["Access ended", "Interim", "kept: membership existed before", "done"],
      ],
    },
    {
      name: "an extension moves the end; the active state is the extension",
      rows: trail(
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(1802).toISOString(), alreadyMember: false }],
        [300, person("alice"), "request.extension_requested", { minutes: 30 }],
        [310, person("bob"), "grant.extended", { minutes: 30, previousExpiresAt: at(1802).toISOString(), expiresAt: at(3602).toISOString() }],
      ),
      current: state({ grantState: "active", expiresAt: at(3602) }),
      expected: [
        ["Active", "Interim", null, "done"],
        ["Extension requested by alice (+30 min)", "alice", null, "done"],
        ["Extended by 30 min by bob", "bob", null, "current"],
        ["Expires", null, null, "upcoming"],
      ],
    },
    {
      name: "an extension that needed approval, told on the request it extends",
      rows: trail(
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(1802).toISOString(), alreadyMember: false }],
        [
          300,
          person("alice"),
          "request.extension_requested",
          { grantId: "g", privilege: "SQL admins", minutes: 15, justification: "overrun", awaitingApproval: true },
          "extension",
        ],
        [301, person("bob"), "request.decision", { level: 1, decision: "deny", comment: "no", durationMinutes: null }, "extension"],
        [301, person("bob"), "request.denied", { level: 1, comment: "no" }, "extension"],
        [
          302,
          person("alice"),
          "request.extension_requested",
          { grantId: "g", privilege: "SQL admins", minutes: 10, justification: "", awaitingApproval: true },
          "extension",
        ],
        [303, person("bob"), "request.decision", { level: 1, decision: "approve", comment: "once", durationMinutes: null }, "extension"],
        [303, person("bob"), "request.level_completed", { level: 1, approvals: 1, nextLevel: null }, "extension"],
        [303, person("bob"), "request.approved", { automatic: false, grantId: "g" }, "extension"],
        [
          303,
          person("bob"),
          "grant.extended",
          { requestId: "x", minutes: 10, previousExpiresAt: at(1802).toISOString(), expiresAt: at(2402).toISOString(), clipped: false },
        ],
      ),
      current: state({ grantState: "active", expiresAt: at(2402) }),
      expected: [
        ["Active", "Interim", null, "done"],
        ["Extension requested by alice (+15 min)", "alice", "overrun", "done"],
        ["Extension denied by bob", "bob", "no", "failed"],
        ["Extension requested by alice (+10 min)", "alice", null, "done"],
        ["Extension: level 1 approved by bob", "bob", "once", "done"],
        ["Extended by 10 min by bob", "bob", null, "current"],
        ["Expires", null, null, "upcoming"],
      ],
    },
    {
      name: "an action this code does not know yet shows under its own name",
      rows: trail([0, person("alice"), "request.submitted", submitted(5)], [1, person("eve"), "grant.teleported", { to: "mars" }]),
      current: state({ requestStatus: "approved", grantState: "revoked" }),
      expected: [
        ["Requested by alice (5 min)", "alice", null, "done"],
        ["grant.teleported", "eve", null, "done"],
      ],
    },
    {
      name: "pending at level 2 of 2",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(30)],
        [10, person("bob"), "request.decision", { level: 1, decision: "approve", comment: "", durationMinutes: null }],
        [10, person("bob"), "request.level_completed", { level: 1, approvals: 2, nextLevel: 2 }],
      ),
      current: state({ requestStatus: "pending", currentLevel: 2, levels: 2 }),
      expected: [
        ["Requested by alice (30 min)", "alice", null, "done"],
        ["Level 1 approved by bob", "bob", null, "done"],
        ["Level 1 complete", "bob", "2 approvals", "done"],
        ["Waiting for level 2 of 2", null, null, "current"],
      ],
    },
    {
      name: "approved and scheduled: starts later",
      rows: trail([0, person("alice"), "request.submitted", submitted(30)], [0, person("alice"), "request.approved", { automatic: true, grantId: "g" }]),
      current: state({ grantState: "pending", startsAt: at(7200) }),
      expected: [
        ["Requested by alice (30 min)", "alice", null, "done"],
        ["Approved automatically", null, null, "done"],
        ["Starts", null, null, "upcoming"],
      ],
    },
    {
      name: "expired without a decision, by the worker",
      rows: trail([0, person("alice"), "request.submitted", submitted(30)], [90, worker, "request.expired", { deadline: at(90).toISOString(), level: 1 }]),
      current: state({ requestStatus: "expired" }),
      expected: [
        ["Requested by alice (30 min)", "alice", null, "done"],
        ["Expired without a decision", "Interim", "waited at level 1", "failed"],
      ],
    },
    {
      name: "emergency access, reviewed afterwards; the grant is due, so removal is in progress",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(10, { emergency: true })],
        [0, person("alice"), "request.approved", { automatic: true, grantId: "g" }],
        [400, person("bob"), "request.emergency_reviewed", { comment: "fine" }],
      ),
      current: state({ grantState: "active", expiresAt: at(599) }),
      expected: [
        ["Emergency access requested by alice (10 min)", "alice", null, "done"],
        ["Approved automatically", null, null, "done"],
        ["Emergency access reviewed by bob", "bob", "fine", "done"],
        ["Removing from the AD group", null, null, "current"],
      ],
    },
    {
      name: "written to one DC and still replicating: the time already runs",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(60)],
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(3602).toISOString(), alreadyMember: false, replicating: true }],
      ),
      current: state({ grantState: "replicating", expiresAt: at(3602) }),
      expected: [
        ["Requested by alice (1 h)", "alice", null, "done"],
        ["Added to the AD group, replicating", "Interim", "the time counts from here", "done"],
        ["Waiting for every domain controller", null, null, "current"],
        ["Expires", null, null, "upcoming"],
      ],
    },
    {
      name: "replicated to every DC, then removed; the removal waits for DC2",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(5)],
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(302).toISOString(), alreadyMember: false, replicating: true }],
        [
          20,
          worker,
          "grant.replicated",
          replicated(
            "verified",
            [
              ["dc1", 150],
              ["dc2", 17_500],
            ],
            [],
          ),
        ],
        [
          302,
          worker,
          "grant.removed",
          {
            groupDn: "CN=g",
            memberDn: "CN=alice",
            reason: "expired",
            expiresAt: at(302).toISOString(),
            lagMs: 40,
            alreadyAbsent: false,
            keptPreExisting: false,
          },
        ],
      ),
      current: state({ grantState: "expired", expiresAt: at(302), removalPending: true }),
      expected: [
        ["Requested by alice (5 min)", "alice", null, "done"],
        ["Added to the AD group, replicating", "Interim", "the time counts from here", "done"],
        ["Active on every domain controller", "Interim", "dc1 after 150 ms, dc2 after 17.5 s", "done"],
        ["Removed from the AD group", "Interim", "40 ms after the expiry", "done"],
        ["Waiting for every domain controller to drop the membership", null, null, "current"],
      ],
    },
    {
      name: "a DC that never confirmed: active after the maximum wait, and said so",
      rows: trail(
        [0, person("alice"), "request.submitted", submitted(60)],
        [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(3602).toISOString(), alreadyMember: false, replicating: true }],
        [
          302,
          worker,
          "grant.replicated",
          replicated(
            "max-wait",
            [
              ["dc1", 90],
              ["dc2", null],
            ],
            ["dc2"],
          ),
        ],
      ),
      current: state({ grantState: "active", expiresAt: at(3602) }),
      expected: [
        ["Requested by alice (1 h)", "alice", null, "done"],
        ["Added to the AD group, replicating", "Interim", "the time counts from here", "done"],
        ["Active", "Interim", "gave up waiting for dc2 · dc1 after 90 ms, dc2 not confirmed", "current"],
        ["Expires", null, null, "upcoming"],
      ],
    },
  ];

  it.each(cases)("$name", ({ rows, current, expected }) => {
    expect(view(buildTimeline(rows, current, NOW))).toEqual(expected);
  });

  it("keeps each step's time, names the end of an active grant, and times the upcoming steps", () => {
    const rows = trail(
      [0, person("alice"), "request.submitted", submitted(60)],
      [2, worker, "grant.activated", { groupDn: "CN=g", memberDn: "CN=alice", expiresAt: at(3602).toISOString(), alreadyMember: true }],
    );
    const steps = buildTimeline(rows, state({ grantState: "active", expiresAt: at(3602) }), NOW);
    expect(steps.map((s) => [s.key, s.at, s.until])).toEqual([
      ["1", at(0).toISOString(), null],
      ["2", at(2).toISOString(), at(3602).toISOString()],
      ["next:expires", at(3602).toISOString(), null],
    ]);
    expect(steps[1]!.detail).toBe("the account was already a member");

    const scheduled = buildTimeline(rows.slice(0, 1), state({ requestStatus: "pending", startsAt: at(7200) }), NOW);
    expect(scheduled.slice(1).map((s) => [s.key, s.label, s.at, s.tone])).toEqual([
      ["next:waiting", "Waiting for approval", null, "current"],
      ["next:starts", "Starts", at(7200).toISOString(), "upcoming"],
    ]);
  });

  it("does not promise a start or an end that has passed", () => {
    const rows = trail([0, person("alice"), "request.submitted", submitted(60)]);
    expect(buildTimeline(rows, state({ grantState: "pending", startsAt: at(10) }), NOW).at(-1)).toMatchObject({ label: "Provisioning", tone: "upcoming" });
    expect(buildTimeline(rows, state({ grantState: "expiring", expiresAt: at(900) }), NOW).at(-1)).toMatchObject({
      label: "Removing from the AD group",
      tone: "current",
    });
    expect(buildTimeline(rows, state({ requestStatus: "cancelled" }), NOW).map((s) => s.label)).toEqual(["Requested by alice (1 h)"]);
  });

  it("survives rows with missing or odd data", () => {
    const rows = trail(
      [0, { actorType: "user", actorName: null }, "request.submitted", {}],
      [1, person("bob"), "request.decision", { decision: "approve" }],
      [2, worker, "grant.activated", { expiresAt: "not a date" }],
    );
    expect(view(buildTimeline(rows, state({ requestStatus: "approved", grantState: "expired" }), NOW))).toEqual([
      ["Requested by someone", "someone", null, "done"],
      ["Level ? approved by bob", "bob", null, "done"],
      ["Active", "Interim", null, "done"],
    ]);
  });
});

describe("timelineInput", () => {
  it("takes a request id and nothing else", () => {
    expect(timelineInput.safeParse({ requestId: "5f0c3c55-1a0a-4f43-9c55-7b7c2f3e9a10" }).success).toBe(true);
    expect(timelineInput.safeParse({ requestId: "42" }).success).toBe(false);
    expect(timelineInput.safeParse({ requestId: "5f0c3c55-1a0a-4f43-9c55-7b7c2f3e9a10", extra: 1 }).success).toBe(false);
  });
});
