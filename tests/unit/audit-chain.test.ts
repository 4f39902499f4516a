import { describe, expect, it } from "vitest";
import { canonicalJson, GENESIS_HASH, hashEvent, verifyChain, type ChainRow } from "@/server/audit/chain";

function chain(n: number): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields = {
      seq,
      at: new Date(Date.UTC(2026, 10, 23, 12, 0, seq)),
      actorType: "user",
      actorId: "u1",
      actorName: "alice",
      action: "request.submitted",
      targetType: "request",
      targetId: `r${seq}`,
      data: { durationMinutes: seq, nested: { b: 1, a: [2, 3] } },
      ip: "127.0.0.1",
      userAgent: null,
    };
    const hash = hashEvent(prev, fields);
    rows.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return rows;
}

describe("canonicalJson", () => {
  it("sorts keys at every depth so key order cannot change a hash", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
  it("drops undefined members like JSON does", () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

describe("verifyChain", () => {
  it("accepts an intact chain", () => {
    expect(verifyChain(chain(5))).toEqual([]);
  });

  it("detects an edited row", () => {
    const rows = chain(5);
    rows[2] = { ...rows[2]!, data: { durationMinutes: 999 } };
    expect(verifyChain(rows)).toEqual([{ seq: 3, kind: "hash-mismatch" }]);
  });

  it("detects an edited row whose hash was recomputed (the next link breaks)", () => {
    const rows = chain(5);
    const edited = { ...rows[2]!, actorName: "mallory" };
    edited.hash = hashEvent(edited.prevHash, edited);
    rows[2] = edited;
    expect(verifyChain(rows)).toEqual([{ seq: 4, kind: "broken-link" }]);
  });

  it("detects a deleted row", () => {
    const rows = chain(5);
    rows.splice(1, 1);
    const problems = verifyChain(rows);
    expect(problems).toContainEqual({ seq: 3, kind: "gap", expectedSeq: 2 });
    expect(problems).toContainEqual({ seq: 3, kind: "broken-link" });
  });

  it("detects a deleted first row", () => {
    const rows = chain(3).slice(1);
    expect(verifyChain(rows)).toContainEqual({ seq: 2, kind: "gap", expectedSeq: 1 });
  });

  it("continues from a verified prefix", () => {
    const rows = chain(6);
    const head = rows.slice(0, 3);
    const last = head[head.length - 1]!;
    expect(verifyChain(rows.slice(3), { seq: last.seq, hash: last.hash })).toEqual([]);
  });
});
