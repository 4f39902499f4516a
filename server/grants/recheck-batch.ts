import "server-only";
import { sql } from "drizzle-orm";
import { db } from "@/db";
import { grants } from "@/db/schema";
import { batchFacts } from "@/server/access-groups/live-policy-batch";
import { recheckPolicy } from "@/server/access-groups/live-policy";
import { settleRecheck, type Grant } from "./activate";
import { stateSql } from "./state-sql";

/*
 * The live policy for a batch of claimed activations (activate-batch.ts), in one transaction: the
 * grants locked FOR UPDATE (in id order, each under its own claim), the policy's facts loaded once
 * for all of them (live-policy-batch.ts), then each grant judged by the same recheckPolicy as a lone
 * one and settled by the same settleRecheck. A grant whose verdict writes (a refusal, a clip, an end
 * drawn in) does so in a savepoint of its own: when that write fails, or its facts could not be read
 * (the DC did not give an account's tokenGroups), that grant alone gets the error, as its own
 * transaction would have on the single path.
 */

export type Rechecked = Grant | "refused" | "superseded" | { err: unknown };

export async function recheckBatch(claimed: readonly Grant[]): Promise<Map<string, Rechecked>> {
  const out = new Map<string, Rechecked>(claimed.map((g) => [g.id, "superseded"]));
  if (claimed.length === 0) return out;
  const ids = claimed.map((g) => g.id).join(",");
  const tokens = claimed.map((g) => g.claimToken!).join(",");
  await db.transaction(async (tx) => {
    const locked = await tx
      .select()
      .from(grants)
      .where(
        sql`(${grants.id}, ${grants.claimToken}) in (select * from unnest(string_to_array(${ids}, ',')::uuid[], string_to_array(${tokens}, ',')::uuid[]))
            and ${grants.state} = ${stateSql("provisioning")}`,
      )
      .orderBy(grants.id)
      .for("update");
    const facts = await batchFacts(
      tx,
      locked.map((g) => g.id),
    );
    const at = new Date(); // one instant for the batch: grants of one group share their window
    for (const grant of locked) {
      let live: Awaited<ReturnType<typeof recheckPolicy>>;
      try {
        live = await recheckPolicy(tx, { grantId: grant.id, at }, facts);
      } catch (err) {
        out.set(grant.id, { err });
        continue;
      }
      // Nothing to write: no savepoint either (the common case, and most of a big batch).
      if (live.outcome === "ok" && (live.windowEndsAt === null || live.windowEndsAt.getTime() === grant.notAfter?.getTime())) {
        out.set(grant.id, grant);
        continue;
      }
      out.set(grant.id, await tx.transaction((sp) => settleRecheck(sp, grant, live)).catch((err: unknown) => ({ err })));
    }
  });
  return out;
}
