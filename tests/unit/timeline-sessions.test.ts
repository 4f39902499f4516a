import { describe, expect, it } from "vitest";
import { buildTimeline, type AuditRowLike } from "@/server/requests/timeline";

const T0 = Date.parse("2026-12-07T09:00:00.000Z");
const SID = "6f1d2c3b-0000-4000-8000-000000000001";
const row = (seq: number, action: string, data: Record<string, unknown>, session = true): AuditRowLike => ({
  seq,
  at: new Date(T0 + seq * 1000),
  actorType: "system",
  actorName: "interim-worker",
  action,
  data,
  sessionId: session ? SID : null,
});
const current = { requestStatus: "approved", currentLevel: 1, levels: 1, grantState: "expired", expiresAt: null, startsAt: null };

describe("a session's rows on its request's timeline", () => {
  const steps = buildTimeline(
    [
      row(1, "request.submitted", { privilege: "Linux sudo", durationMinutes: 30 }, false),
      row(2, "session.requested", { device: "LNX01", login: "adm-alice", requestId: "r", accessGroup: "g", awaitingApproval: false }),
      row(3, "session.ready", { login: "adm-alice", passwordSet: true }),
      row(4, "session.connected", { via: "browser", gateway: "h:1" }),
      row(5, "session.command_flagged", { command: "rm -rf /tmp/x", action: "block", rule: "rm -rf *", deviation: false }),
      row(6, "session.command_flagged", { command: "hostname", action: "alert", rule: null, deviation: true }),
      row(7, "session.ended", { reason: "exit", commands: 3, recordingBytes: 10, error: null }),
      row(8, "session.password_rotated", { login: "adm-alice", phase: "before" }),
      row(9, "session.password_rotated", { login: "adm-alice", phase: "after" }),
      row(10, "session.ended", { reason: "host-key", commands: 0, recordingBytes: 0, error: "The device's host key changed" }),
    ],
    current,
    new Date(T0 + 60_000),
  );
  const of = (label: string) => steps.find((s) => s.label.startsWith(label));

  it("tells each in words, with a link to the recording where there is one", () => {
    expect(of("Session on LNX01 as adm-alice requested")).toBeDefined();
    expect(of("Session ready")?.detail).toBe("a fresh password was set for the account");
    expect(of("Session connected (browser)")?.href).toBe(`/admin/recordings/${SID}`);
    expect(of("Command blocked")).toMatchObject({ detail: "rm -rf /tmp/x", tone: "failed", href: `/admin/recordings/${SID}` });
    expect(of("Change deviation")).toMatchObject({ detail: "hostname", tone: "failed" });
    expect(of("Session ended: the person left")).toMatchObject({ detail: "3 command(s) recorded", tone: "done" });
    expect(of("Session ended: the device's host key changed")).toMatchObject({ tone: "failed" });
  });

  it("shows the password changed after the session, not the one set before it", () => {
    expect(steps.filter((s) => s.label === "Managed password changed again")).toHaveLength(1);
  });

  it("links nothing for rows that are not a session's", () => {
    expect(steps.filter((s) => s.href).every((s) => s.label.startsWith("Session") || s.label.startsWith("Command") || s.label.startsWith("Change"))).toBe(true);
    expect(of("Requested")?.href ?? null).toBeNull();
  });
});
