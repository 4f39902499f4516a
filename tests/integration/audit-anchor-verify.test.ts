import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { db } from "@/db";
import { checkpointIfDue, newWriterState } from "@/server/audit/checkpoints";
import { appendCheckpoint, readCheckpointFile } from "@/server/audit/checkpoints-file";
import { signingKey } from "@/server/audit/checkpoints-key";
import { signCheckpoint } from "@/server/audit/checkpoints-sign";
import { checkpointsInTrail, verifyCheckpoints } from "@/server/audit/checkpoints-verify";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { resetEnvForTests } from "@/server/env";
import { rewriteFrom, tamper } from "../support/audit-tamper";
import { runAuditVerifyOn } from "../support/audit-verify";
import { copyDatabase } from "../support/database-copy";
import { localUser, resetDatabase, trpcHttp } from "./fixtures";

/*
 * What the checkpoints add to the chain (issue 16): someone with the database owner's rights who
 * rewrites history and recomputes every hash, or deletes the newest rows, leaves a chain that
 * verifies on its own, and `audit:verify` still reports it, naming the checkpoint and the seq.
 */

const dir = mkdtempSync(path.join(tmpdir(), "anchor-verify-"));
const file = path.join(dir, "checkpoints.jsonl");
const publicKeyFile = path.join(dir, "audit-signing.pub.pem");
const copies: { drop: () => Promise<void> }[] = [];

async function events(n: number, label: string) {
  for (let i = 0; i < n; i++)
    await db.transaction((tx) =>
      recordAudit(tx, SYSTEM_ACTOR, [{ action: "grant.cancelled", targetType: "grant", targetId: `g-${label}-${i}`, data: { reason: `${label} ${i}` } }]),
    );
}

beforeAll(async () => {
  await resetDatabase();
  writeFileSync(publicKeyFile, signingKey().publicKey.export({ type: "spki", format: "pem" }));
  const policy = { everyEvents: 1, intervalMs: 3_600_000, file };
  // Events 1–6, a checkpoint of #6 (its event is #7), events 8–10, a checkpoint of #10 (event #11).
  await events(6, "first");
  expect((await checkpointIfDue(newWriterState(), policy))?.seq).toBe(6);
  await events(3, "second");
  expect((await checkpointIfDue(newWriterState(), policy))?.seq).toBe(10);
}, 60_000);

afterAll(async () => {
  for (const c of copies) await c.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("audit:verify with signed checkpoints", () => {
  it("an intact trail: both checkpoints agree; a checkpoint is not due again for its own event", async () => {
    expect(readCheckpointFile(file)).toHaveLength(2);
    const report = await verifyCheckpoints(db, [...readCheckpointFile(file), ...(await checkpointsInTrail(db))], signingKey().publicKey);
    expect(report).toMatchObject({ count: 2, signaturesChecked: true, head: 11, problems: [], newest: { seq: 10 } });
    expect(await checkpointIfDue(newWriterState(Date.now() - 3_600_001), { everyEvents: 1, intervalMs: 3_600_000, file })).toBeNull();
  });

  it("the audit page's Verify chain reports the checkpoints (admins only)", async () => {
    const carol = await localUser("carol", true);
    // The web reads AUDIT_CHECKPOINT_FILE: pointed at this test's file (without it, "checkpoint file
    // not checked" is a problem since the trail holds checkpoints: audit-anchor-attacks.test.ts).
    const saved = process.env.AUDIT_CHECKPOINT_FILE;
    process.env.AUDIT_CHECKPOINT_FILE = file;
    resetEnvForTests();
    const r = await trpcHttp(carol, "audit.verify", undefined).finally(() => {
      process.env.AUDIT_CHECKPOINT_FILE = saved;
      resetEnvForTests();
    });
    expect(r).toMatchObject({
      ok: true,
      data: { problems: [], checkpoints: { count: 2, inFile: 2, signaturesChecked: true, problems: [], newest: { seq: 10 } } },
    });
    expect(await trpcHttp(await localUser("dave"), "audit.verify", undefined)).toMatchObject({ ok: false, code: "FORBIDDEN" });
  });

  it("history rewritten with every hash recomputed: the chain passes, the checkpoints name the seqs", async () => {
    const copy = await copyDatabase("rewritten");
    copies.push(copy);
    await tamper(copy.url, (tx) => rewriteFrom(tx, 3));
    const r = await runAuditVerifyOn(copy.url, ["--checkpoints", file, "--public-key", publicKeyFile]);
    // The old verifier's verdict (the chain walk) is fooled…
    expect(r.out).toContain("audit chain intact: 11 events checked");
    // …the checkpoints are not.
    expect(r.code).toBe(1);
    expect(r.out).toContain("checkpoints BROKEN");
    expect(r.out).toContain("checkpoint file line 1: event #6 no longer has the hash the checkpoint signed");
    expect(r.out).toContain("checkpoint file line 2: event #10 no longer has the hash the checkpoint signed");
  }, 60_000);

  it("the newest events deleted: the chain passes, the head below the newest checkpoint is reported", async () => {
    const copy = await copyDatabase("truncated");
    copies.push(copy);
    await tamper(copy.url, (tx) => tx`delete from audit_events where seq >= 9`.then(() => undefined));
    const r = await runAuditVerifyOn(copy.url, ["--checkpoints", file, "--public-key", publicKeyFile]);
    expect(r.out).toContain("audit chain intact: 8 events checked");
    expect(r.code).toBe(1);
    expect(r.out).toContain("checkpoint file line 2: the newest event is #8 but the checkpoint covers #10 — the newest events were deleted");
  }, 60_000);

  it("a checkpoint edited in the file, or re-signed with another key, is reported", async () => {
    const lines = readFileSync(file, "utf8").trim().split("\n");
    const edited = path.join(dir, "edited.jsonl");
    writeFileSync(edited, `${lines[0]!.replace(/"seq":6/, '"seq":5')}\n`);
    const other = generateKeyPairSync("ed25519");
    const [, second] = readCheckpointFile(file).map((e) => e.raw as { seq: number; hash: string; at: string; chain: string });
    appendCheckpoint(edited, signCheckpoint(other.privateKey, second!));
    const report = await verifyCheckpoints(db, readCheckpointFile(edited), signingKey().publicKey);
    expect(report.problems).toEqual([
      { kind: "bad-signature", where: "checkpoint file line 1", seq: 5 },
      { kind: "other-key", where: "checkpoint file line 2", seq: 10, keyId: expect.stringMatching(/^ed25519:/) },
    ]);
  });
});
