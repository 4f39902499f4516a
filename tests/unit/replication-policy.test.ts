import { describe, expect, it } from "vitest";
import { guidToBytes, guidToString } from "@/server/directory/binary";
import { replicationSettingsInput } from "@/server/directory/schemas";
import {
  decideReplication,
  mergeObservations,
  observationsOf,
  replicationWaitNeeded,
  type DcObservation,
  type ReplicationMode,
  type ReplicationSettings,
} from "@/server/grants/replication-policy";

const settings = (mode: ReplicationMode, latencySeconds = 30, maxWaitSeconds = 900): ReplicationSettings => ({ mode, latencySeconds, maxWaitSeconds });
const seen = (host: string): DcObservation => ({ host, seen: true });
const missing = (host: string, error: string | null = null): DcObservation => ({ host, seen: false, error });
const S = 1000;

describe("decideReplication: mode × what the DCs showed × time since the write", () => {
  const allSeen = [seen("dc1"), seen("dc2")];
  const dc2Behind = [seen("dc1"), missing("dc2")];
  const dc2Down = [seen("dc1"), missing("dc2", "the directory is unreachable (connect ECONNREFUSED 127.0.0.2:636)")];

  // [mode, observations, elapsed, expected]
  const table: [ReplicationMode, DcObservation[], number, ReturnType<typeof decideReplication>][] = [
    // verify: as soon as every DC shows it, whatever the latency says.
    ["verify", allSeen, 0, { settled: true, by: "verified", unconfirmed: [] }],
    ["verify", dc2Behind, 29 * S, { settled: false }],
    ["verify", dc2Behind, 31 * S, { settled: false }],
    ["verify", dc2Behind, 899 * S, { settled: false }],
    ["verify", dc2Down, 900 * S, { settled: true, by: "max-wait", unconfirmed: ["dc2"] }],
    // wait: the latency alone, DCs not consulted (even one that is behind).
    ["wait", [], 29_999, { settled: false }],
    ["wait", [], 30 * S, { settled: true, by: "latency", unconfirmed: [] }],
    ["wait", dc2Behind, 30 * S, { settled: true, by: "latency", unconfirmed: [] }],
    // both: every DC and the latency.
    ["both", allSeen, 29 * S, { settled: false }],
    ["both", dc2Behind, 31 * S, { settled: false }],
    ["both", allSeen, 30 * S, { settled: true, by: "verified+latency", unconfirmed: [] }],
    ["both", dc2Down, 900 * S, { settled: true, by: "max-wait", unconfirmed: ["dc2"] }],
  ];
  it.each(table)("%s with %j after %d ms", (mode, dcs, elapsed, expected) => {
    expect(decideReplication(settings(mode), elapsed, dcs)).toEqual(expected);
  });

  it("names every DC that never confirmed when the cap ends the wait", () => {
    expect(decideReplication(settings("verify", 0, 60), 60 * S, [missing("dc2"), seen("dc1"), missing("dc3", "refused")])).toEqual({
      settled: true,
      by: "max-wait",
      unconfirmed: ["dc2", "dc3"],
    });
  });

  it("settles at once with no DC to verify (the write DC was the only one)", () => {
    expect(decideReplication(settings("verify"), 0, [])).toEqual({ settled: true, by: "verified", unconfirmed: [] });
  });
});

describe("replicationWaitNeeded", () => {
  it("a single DC found in the directory never waits in verify mode (it is the one written to)", () => {
    expect(replicationWaitNeeded(settings("verify"), { count: 1, explicit: false })).toBe(false);
    expect(replicationWaitNeeded(settings("verify"), { count: 2, explicit: false })).toBe(true);
  });

  it("a DC the admin named is checked even when it is the only one", () => {
    expect(replicationWaitNeeded(settings("verify"), { count: 1, explicit: true })).toBe(true);
  });

  it("DCs that could not be listed must be checked", () => {
    expect(replicationWaitNeeded(settings("verify"), null)).toBe(true);
  });

  it("wait and both wait for a latency above zero, whatever the DCs", () => {
    expect(replicationWaitNeeded(settings("wait", 30), { count: 1, explicit: false })).toBe(true);
    expect(replicationWaitNeeded(settings("wait", 0), { count: 3, explicit: false })).toBe(false);
    expect(replicationWaitNeeded(settings("both", 0), { count: 1, explicit: false })).toBe(false);
    expect(replicationWaitNeeded(settings("both", 0), { count: 2, explicit: false })).toBe(true);
  });
});

describe("mergeObservations", () => {
  const t0 = new Date("2026-11-24T10:00:00Z");
  const t1 = new Date("2026-11-24T10:00:05Z");

  it("keeps the first time a DC showed the change and updates the others", () => {
    const first = mergeObservations(
      [],
      ["dc1", "dc2"],
      new Map([
        ["dc1", { seen: true, error: null }],
        ["dc2", { seen: false, error: "refused" }],
      ]),
      t0,
    );
    expect(first).toEqual([
      { host: "dc1", seenAt: t0.toISOString(), error: null },
      { host: "dc2", seenAt: null, error: "refused" },
    ]);
    // dc1 was not asked again (no answer for it); dc2 has caught up.
    const second = mergeObservations(first, ["dc1", "dc2"], new Map([["dc2", { seen: true, error: null }]]), t1);
    expect(second).toEqual([
      { host: "dc1", seenAt: t0.toISOString(), error: null },
      { host: "dc2", seenAt: t1.toISOString(), error: null },
    ]);
    expect(observationsOf(second)).toEqual([seen("dc1"), seen("dc2")]);
  });

  it("follows the current list of DCs: a new DC joins unseen, a removed one drops out", () => {
    const before = [
      { host: "dc1", seenAt: t0.toISOString(), error: null },
      { host: "old", seenAt: null, error: null },
    ];
    expect(mergeObservations(before, ["dc1", "dc3"], new Map(), t1)).toEqual([
      { host: "dc1", seenAt: t0.toISOString(), error: null },
      { host: "dc3", seenAt: null, error: null },
    ]);
  });
});

describe("replication settings input", () => {
  const valid = { mode: "both", latencySeconds: "15", maxWaitSeconds: "600", dcUrls: ["ldaps://DC2.example.com:636/", "ldaps://dc2.example.com:636"] };

  it("coerces the numbers and normalises the DC list", () => {
    expect(replicationSettingsInput.parse(valid)).toEqual({ mode: "both", latencySeconds: 15, maxWaitSeconds: 600, dcUrls: ["ldaps://dc2.example.com:636"] });
  });

  it("refuses plain LDAP, a cap shorter than the latency, and unknown keys", () => {
    expect(replicationSettingsInput.safeParse({ ...valid, dcUrls: ["ldap://dc2.example.com"] }).success).toBe(false);
    const short = replicationSettingsInput.safeParse({ ...valid, latencySeconds: 60, maxWaitSeconds: 30 });
    expect(short.success).toBe(false);
    expect(short.error?.issues[0]?.path).toEqual(["maxWaitSeconds"]);
    expect(replicationSettingsInput.safeParse({ ...valid, extra: 1 }).success).toBe(false);
    expect(replicationSettingsInput.safeParse({ ...valid, mode: "never" }).success).toBe(false);
  });
});

describe("guidToBytes", () => {
  it("is the inverse of guidToString (objectGUID's mixed-endian layout)", () => {
    const guid = "e5e4dbfd-7971-4cd1-9937-8cfc32d204f6";
    // As Samba stores it (base64 /dvk5XF50UyZN4z8MtIE9g==).
    expect(guidToBytes(guid).toString("base64")).toBe("/dvk5XF50UyZN4z8MtIE9g==");
    expect(guidToString(guidToBytes(guid))).toBe(guid);
    expect(() => guidToBytes("not-a-guid")).toThrow();
  });
});
