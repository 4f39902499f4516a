import { describe, expect, it } from "vitest";
import { z } from "zod";
import { diffDocuments, diffFields, summarize } from "@/server/config-as-code/diff";
import { canonicalize, type AccessGroupConfig, type ConfigDocument, type PrivilegeConfig } from "@/server/config-as-code/document";
import { formatPath, Issues, placeholderIds } from "@/server/config-as-code/issues";

const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

const privilege = (n: number, over: Partial<PrivilegeConfig> = {}): PrivilegeConfig => ({
  name: `P${n}`,
  group: { objectGuid: guid(n), dn: `CN=G${n},DC=x` },
  description: "",
  tags: [],
  maxDurationMinutes: 60,
  defaultDurationMinutes: 5,
  allowExtension: false,
  maxTotalMinutes: null,
  mechanism: "direct",
  enabled: true,
  drift: "alert",
  ...over,
});

const group = (name: string, over: Partial<AccessGroupConfig> = {}): AccessGroupConfig =>
  ({
    name,
    description: "",
    enabled: true,
    timeZone: "UTC",
    settings: { requiresApproval: false },
    criteria: { privilegeNames: ["*"] },
    limits: { windows: [] },
    locations: { restrict: false, allowed: [] },
    members: [],
    activations: [],
    approvers: [],
    levels: [],
    notifications: { emailEvents: [], extraRecipients: [], extraEvents: [], webhooks: [] },
    sessions: { enabled: false, recording: true, maxSessionMinutes: 60, idleTimeoutMinutes: 15, privileges: [], rules: { alert: [], block: [] } },
    ...over,
  }) as AccessGroupConfig;

const doc = (over: Partial<ConfigDocument> = {}): ConfigDocument =>
  canonicalize({
    version: 1,
    directory: { replication: { mode: "verify", latencySeconds: 30, maxWaitSeconds: 900, dcUrls: [] } },
    privileges: [],
    privilegeSets: [],
    accessGroups: [],
    ...over,
  });

describe("diffFields", () => {
  it("names each changed leaf by its dotted path, with before and after", () => {
    expect(diffFields({ a: 1, b: { c: true, d: "x" } }, { a: 1, b: { c: false, d: "x" } })).toEqual([{ path: "b.c", before: true, after: false }]);
  });

  it("does not count key order as a change", () => {
    expect(diffFields({ x: { a: 1, b: 2 } }, { x: { b: 2, a: 1 } })).toEqual([]);
  });

  it("gives a changed list whole, with the entries gained and lost", () => {
    expect(diffFields({ tags: ["a", "b"] }, { tags: ["b", "c"] })).toEqual([
      { path: "tags", before: ["a", "b"], after: ["b", "c"], added: ["c"], removed: ["a"] },
    ]);
  });

  it("reports a field that appears or disappears as null on the missing side", () => {
    expect(diffFields({ a: 1 }, { a: 1, b: 2 })).toEqual([{ path: "b", before: null, after: 2 }]);
  });
});

describe("diffDocuments", () => {
  it("is empty for the same configuration", () => {
    const d = doc({ privileges: [privilege(1)], accessGroups: [group("G")] });
    expect(diffDocuments(d, structuredClone(d))).toEqual([]);
  });

  it("lists added, changed and removed objects of every kind, in the order they are applied", () => {
    const before = doc({ privileges: [privilege(1), privilege(2)], accessGroups: [group("Old"), group("Same")] });
    const after = doc({
      directory: { replication: { mode: "wait", latencySeconds: 30, maxWaitSeconds: 900, dcUrls: [] } },
      privileges: [privilege(1, { maxDurationMinutes: 120 }), privilege(3)],
      privilegeSets: [{ name: "S", description: "", enabled: true, allowOwnAccount: true, privileges: ["P1"], accounts: [] }],
      accessGroups: [group("Same", { limits: { windows: [{ start: "08:00", end: "18:00" }] } as AccessGroupConfig["limits"] })],
    });
    const changes = diffDocuments(before, after);
    expect(changes.map((c) => [c.kind, c.name, c.change])).toEqual([
      ["directory", "Replication settings", "changed"],
      ["privilege", "P1", "changed"],
      ["privilege", "P3", "added"],
      ["privilege", "P2", "removed"],
      ["privilegeSet", "S", "added"],
      ["accessGroup", "Same", "changed"],
      ["accessGroup", "Old", "removed"],
    ]);
    expect(changes[0]!.fields).toEqual([{ path: "replication.mode", before: "verify", after: "wait" }]);
    expect(changes[1]!.fields).toEqual([{ path: "maxDurationMinutes", before: 60, after: 120 }]);
    expect(changes[5]!.fields).toMatchObject([{ path: "limits.windows", added: [{ start: "08:00", end: "18:00" }], removed: [] }]);
    expect(summarize(changes)).toEqual({ added: 2, changed: 3, removed: 2 });
  });

  it("matches privileges by their group's objectGUID: a rename is a change of name, not a remove and an add", () => {
    const changes = diffDocuments(doc({ privileges: [privilege(1)] }), doc({ privileges: [privilege(1, { name: "Renamed" })] }));
    expect(changes).toEqual([
      { kind: "privilege", key: guid(1), name: "Renamed", change: "changed", fields: [{ path: "name", before: "P1", after: "Renamed" }] },
    ]);
  });

  it("ignores the order of keyed collections (canonical form), not the order of patterns", () => {
    const alice = { kind: "user" as const, objectGuid: guid(7), dn: "CN=alice", name: "alice" };
    const team = { kind: "group" as const, objectGuid: guid(8), dn: "CN=team", name: "team" };
    const a = doc({ accessGroups: [group("G", { members: [alice, team] })], privileges: [privilege(2), privilege(1)] });
    const b = doc({ accessGroups: [group("G", { members: [team, alice] })], privileges: [privilege(1), privilege(2)] });
    expect(diffDocuments(a, b)).toEqual([]);
    const patterns = doc({ accessGroups: [group("G", { criteria: { privilegeNames: ["b*", "a*"] } as AccessGroupConfig["criteria"] })] });
    const swapped = doc({ accessGroups: [group("G", { criteria: { privilegeNames: ["a*", "b*"] } as AccessGroupConfig["criteria"] })] });
    expect(diffDocuments(patterns, swapped)).toMatchObject([{ fields: [{ path: "criteria.privilegeNames", added: [], removed: [] }] }]);
  });
});

describe("issues", () => {
  it("formats paths as the document spells them", () => {
    expect(formatPath(["accessGroups", 2, "limits", "validTo"])).toBe("accessGroups[2].limits.validTo");
    expect(formatPath([])).toBe("(document)");
  });

  it("files a service schema's issues under the document's path and names", () => {
    const issues = new Issues();
    const schema = z.object({ privilegeIds: z.array(z.uuid()).min(1, "Pick at least one privilege"), id: z.uuid() });
    expect(issues.parse(schema, { privilegeIds: [], id: "nope" }, ["privilegeSets", 0], { privilegeIds: "privileges", id: null })).toBeNull();
    expect(issues.list).toEqual([
      { path: "privilegeSets[0].privileges", message: "Pick at least one privilege" },
      { path: "privilegeSets[0]", message: expect.any(String) },
    ]);
  });

  it("gives equal names equal placeholder ids, so a schema's duplicate check still sees them", () => {
    const ids = placeholderIds(["a", "b", "a"]);
    expect(ids[0]).toBe(ids[2]);
    expect(ids[0]).not.toBe(ids[1]);
    expect(z.array(z.uuid()).safeParse(ids).success).toBe(true);
  });
});
