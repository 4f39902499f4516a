import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { auditChainAlerts, auditEvents } from "@/db/schema";
import { checkpointIfDue, newWriterState } from "@/server/audit/checkpoints";
import { readCheckpointFile } from "@/server/audit/checkpoints-file";
import { signingKey } from "@/server/audit/checkpoints-key";
import { checkSignature } from "@/server/audit/checkpoints-sign";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { watchOnce } from "@/server/audit/watch";
import { resetEnvForTests } from "@/server/env";
import { appendForged, rewriteFrom, tamper } from "../support/audit-tamper";
import { runAuditVerifyOn } from "../support/audit-verify";
import { localUser, resetDatabase, trpcHttp } from "./fixtures";

/*
 * The anchoring against someone with full database access (disable triggers, write any row of any
 * table, recompute hashes) but without the signing key or the worker's checkpoint file (issue 16,
 * security review): nothing they write to the database makes the writer sign a rewritten head,
 * silences an alert, or lets audit:verify pass without the file.
 */

const dir = mkdtempSync(path.join(tmpdir(), "anchor-attacks-"));
const file = path.join(dir, "checkpoints.jsonl");
const ownerUrl = process.env.DATABASE_OWNER_URL ?? process.env.DATABASE_URL!;
const policy = { everyEvents: 1, intervalMs: 3_600_000, file };

async function events(n: number, label: string) {
  for (let i = 0; i < n; i++)
    await db.transaction((tx) =>
      recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.cancelled", targetType: "grant", targetId: `g-${label}-${i}`, data: { reason: `${label} ${i}` } }]),
    );
}

/** Rewrites #3 (every hash recomputed), then appends an audit.checkpoint row claiming the new head, linked and hashed: the chain alone verifies. */
async function appendFakeCheckpointRow(tx: postgres.TransactionSql, data: (head: { seq: number; hash: string }, first: string) => postgres.JSONValue) {
  await rewriteFrom(tx, 3);
  const [head] = await tx`select seq, hash from audit_events order by seq desc limit 1`;
  const [first] = await tx`select hash from audit_events where seq = 1`;
  const seq = Number(head!.seq);
  await tx`insert into audit_events (seq, at, actor_type, actor_name, action, target_type, target_id, data, prev_hash, hash)
    values (${seq + 1}, now(), 'system', 'interim-worker', 'audit.checkpoint', 'audit_chain', ${String(seq)},
            ${tx.json(data({ seq, hash: head!.hash as string }, first!.hash as string))}, ${head!.hash as string}, ${"0".repeat(64)})`;
  await rewriteFrom(tx, 3);
}

const validTrailCheckpoints = async () =>
  (await db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "audit.checkpoint"))).filter(
    (r) => checkSignature(signingKey().publicKey, r.data).verdict === "valid",
  ).length;
const brokenEvents = async () =>
  (await db.select({ data: auditEvents.data }).from(auditEvents).where(eq(auditEvents.action, "audit.chain_broken"))).map(
    (e) => (e.data as { problem: string; seq: number }).problem,
  );

beforeAll(async () => {
  await resetDatabase();
  // Events 1–5, a real checkpoint of #5 (its event is #6) in the file and the trail, events 7–8.
  await events(5, "first");
  expect((await checkpointIfDue(newWriterState(), policy))?.seq).toBe(5);
  await events(2, "second");
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the anchoring against a database administrator", () => {
  it("M1: audit:verify fails when the checkpoint file is missing (unless --trail-only); Verify chain lists it as a problem", async () => {
    const missing = { AUDIT_CHECKPOINT_FILE: path.join(dir, "nowhere.jsonl") };
    const without = await runAuditVerifyOn(process.env.DATABASE_URL!, [], missing);
    expect(without.out).toContain("audit chain intact: 8 events checked");
    expect(without.out).toContain("checkpoint file not checked");
    expect(without.code).toBe(1);
    expect(await runAuditVerifyOn(process.env.DATABASE_URL!, ["--trail-only"], missing)).toMatchObject({ code: 0 });
    expect(await runAuditVerifyOn(process.env.DATABASE_URL!, ["--checkpoints", file])).toMatchObject({ code: 0 });

    const saved = process.env.AUDIT_CHECKPOINT_FILE;
    process.env.AUDIT_CHECKPOINT_FILE = missing.AUDIT_CHECKPOINT_FILE;
    resetEnvForTests();
    try {
      const r = await trpcHttp(await localUser("carol", true), "audit.verify", undefined);
      expect(r).toMatchObject({ ok: true, data: { problems: [], checkpoints: { problems: [{ kind: "file-not-checked" }] } } });
    } finally {
      process.env.AUDIT_CHECKPOINT_FILE = saved;
      resetEnvForTests();
    }
  }, 90_000);

  it("H2a: alert rows pre-inserted as acknowledged do not silence the audit event, the banner or the notifications", async () => {
    const [top] = await db.execute<{ seq: string }>(sql`select max(seq) as seq from audit_events`);
    const next = Number(top!.seq) + 1;
    for (const problem of ["chain-broken-link", "chain-hash-mismatch"])
      await db.insert(auditChainAlerts).values({
        key: `${problem}:${next}`,
        problem,
        seq: next,
        message: "nothing to see",
        acknowledgedAt: new Date(),
        notifiedAt: new Date(),
      });
    expect(await appendForged(ownerUrl)).toBe(next);
    const state = {};
    await watchOnce(state, file);
    expect((await brokenEvents()).sort()).toEqual(["chain-broken-link", "chain-hash-mismatch"]);
    const rows = await db.select().from(auditChainAlerts);
    expect(rows.map((r) => ({ key: r.key, ack: r.acknowledgedAt, notifiedAt: r.notifiedAt })).sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: `chain-broken-link:${next}`, ack: null, notifiedAt: null },
      { key: `chain-hash-mismatch:${next}`, ack: null, notifiedAt: null },
    ]);
    // Once per process: the next pass of the same watcher raises nothing new.
    await watchOnce(state, file);
    expect(await brokenEvents()).toHaveLength(2);
    // The forged row goes, so the writer's cases below start from an intact trail.
    await tamper(ownerUrl, (tx) => tx`delete from audit_events where seq = ${next}`);
  }, 60_000);

  it("H2b: after a rewrite, an acknowledged alert row inserted into the table does not make the writer sign", async () => {
    await tamper(ownerUrl, (tx) => rewriteFrom(tx, 3));
    await events(1, "after-rewrite");
    await db.execute(sql`update audit_chain_alerts set acknowledged_at = now()`);
    await db.insert(auditChainAlerts).values({ key: "all-clear:1", problem: "all-clear", seq: 1, message: "investigated", acknowledgedAt: new Date() });
    await expect(checkpointIfDue(newWriterState(), policy)).rejects.toThrow(/no longer extends the signed checkpoint of event #5/);
    expect(readCheckpointFile(file)).toHaveLength(1);
    expect(await validTrailCheckpoints()).toBe(1);
  }, 60_000);

  it("H1: a forged checkpoint row, or no checkpoint row at all, does not make the writer sign the rewritten head", async () => {
    // The trail rewritten (as in the previous case) gets a checkpoint row that claims its head, with an old date.
    await tamper(ownerUrl, (tx) =>
      appendFakeCheckpointRow(tx, (head, first) => ({
        v: 1,
        seq: head.seq,
        hash: head.hash,
        at: "2000-01-01T00:00:00.000Z",
        chain: first,
        keyId: "x",
        sig: "AA==",
      })),
    );
    await events(2, "after-forgery");
    await expect(checkpointIfDue(newWriterState(), policy)).rejects.toThrow(/no longer extends the signed checkpoint of event #5/);
    // H2c: the watcher, starting up, checks the file's every line and flags the trail row signed by another key.
    const found = (await watchOnce({}, file)).map((f) => f.problem);
    expect(found).toEqual(expect.arrayContaining(["checkpoint-other-key", "checkpoint-hash-mismatch"]));
    // After a restart, with every checkpoint row deleted: the file is still the base.
    await tamper(ownerUrl, (tx) => tx`delete from audit_events where action = 'audit.checkpoint'`);
    await expect(checkpointIfDue(newWriterState(), policy)).rejects.toThrow(/no longer extends/);
    expect(readCheckpointFile(file)).toHaveLength(1);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(1);
    expect(await validTrailCheckpoints()).toBe(0);
    const r = await runAuditVerifyOn(process.env.DATABASE_URL!, ["--checkpoints", file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("checkpoint file line 1: event #5 no longer has the hash the checkpoint signed");
  }, 60_000);
});
