import postgres from "postgres";
import { hashEvent } from "@/server/audit/chain";

/** server/audit/service.ts's chain lock: a tampering done under it never races the app's own appends. */
const AUDIT_LOCK = 0x1a7e_a0d1;

/** What someone with the database owner's rights can do: `change(tx)` with the append-only triggers off, committed. */
export async function tamper(url: string, change: (tx: postgres.TransactionSql) => Promise<unknown>) {
  const owner = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await owner.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${AUDIT_LOCK})`;
      await tx`alter table audit_events disable trigger user`;
      await change(tx);
      await tx`alter table audit_events enable trigger user`;
    });
  } finally {
    await owner.end();
  }
}

/** Edits event #seq and recomputes every hash after it, so the chain alone verifies again. */
export async function rewriteFrom(tx: postgres.TransactionSql, seq: number) {
  const rows = await tx`select * from audit_events where seq >= ${seq - 1} order by seq`;
  let prevHash = rows[0]!.hash as string;
  for (const r of rows.slice(1)) {
    const data = Number(r.seq) === seq ? { reason: "nothing happened" } : r.data;
    const fields = {
      seq: Number(r.seq),
      at: r.at as Date,
      actorType: r.actor_type,
      actorId: r.actor_id,
      actorName: r.actor_name,
      action: r.action,
      targetType: r.target_type,
      targetId: r.target_id,
      data,
      ip: r.ip,
      userAgent: r.user_agent,
    };
    const hash = hashEvent(prevHash, fields);
    await tx`update audit_events set data = ${tx.json(data)}, prev_hash = ${prevHash}, hash = ${hash} where seq = ${fields.seq}`;
    prevHash = hash;
  }
}

/** Appends a row that does not link to the one before it (a forged event), as the app role could. */
export async function appendForged(url: string): Promise<number> {
  let seq = 0;
  await tamper(url, async (tx) => {
    const [top] = await tx`select max(seq) as seq from audit_events`;
    seq = Number(top!.seq ?? 0) + 1;
    await tx`insert into audit_events (seq, at, actor_type, actor_name, action, target_type, target_id, data, prev_hash, hash)
             values (${seq}, now(), 'system', 'interim-worker', 'grant.cancelled', 'grant', 'forged', '{}'::jsonb, ${"f".repeat(64)}, ${"e".repeat(64)})`;
  });
  return seq;
}
