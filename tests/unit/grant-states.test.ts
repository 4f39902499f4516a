import { PgDialect } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { grantState } from "@/db/schema/grants";
import { stateCase, statesSql } from "@/server/grants/state-sql";
import {
  assertTransition,
  canTransition,
  DUE_STATES,
  ENDABLE_GRANT_STATES,
  ENDED_GRANT_STATES,
  GRANT_STATES,
  GRANT_TRANSITIONS,
  IllegalGrantTransition,
  IN_DIRECTORY_STATES,
  INITIAL_GRANT_STATE,
  LIVE_GRANT_STATES,
  REMOVED_STATES,
  TRANSIENT_STATES,
  type GrantState,
} from "@/server/grants/states";

/** Every state change the code makes, and where (each one also asserts it at run time). */
const PERFORMED: [GrantState, GrantState, string][] = [
  ["pending", "provisioning", "activate.ts claim"],
  ["provisioning", "provisioning", "activate.ts claim (lapsed lease)"],
  ["pending", "revoked", "activate.ts window closed; service.ts endOne; rollback.ts endSiblings"],
  ["provisioning", "replicating", "activate.ts recordActivation (other DCs to wait for)"],
  ["provisioning", "active", "activate.ts recordActivation"],
  ["provisioning", "pending", "activate.ts recordFailure (retry)"],
  ["provisioning", "failed", "activate.ts recordFailure (last attempt)"],
  ["provisioning", "revoked", "activate.ts recordFailure (end requested meanwhile)"],
  ["replicating", "active", "replication.ts settleAdds"],
  ["active", "expiring", "sweep.ts claimDue"],
  ["replicating", "expiring", "sweep.ts claimDue"],
  ["expiring", "expiring", "sweep.ts claimDue (lapsed lease)"],
  ["expiring", "expired", "sweep.ts finishRemoval"],
  ["expiring", "revoked", "sweep.ts finishRemoval (revoked or ended early)"],
];

function reachableFrom(start: GrantState): Set<GrantState> {
  const seen = new Set<GrantState>([start]);
  const queue = [start];
  while (queue.length) {
    for (const next of GRANT_TRANSITIONS[queue.shift()!]) {
      if (!seen.has(next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  return seen;
}

describe("the grant state machine", () => {
  it("has exactly the DB enum's states, in its order", () => {
    expect(GRANT_STATES).toEqual(grantState.enumValues);
  });

  it("reaches every state from the initial one", () => {
    expect(INITIAL_GRANT_STATE).toBe("pending");
    expect([...reachableFrom(INITIAL_GRANT_STATE)].sort()).toEqual([...GRANT_STATES].sort());
  });

  it("has no way out of a terminal state, and a way from every live state to an end", () => {
    for (const s of ENDED_GRANT_STATES) expect(GRANT_TRANSITIONS[s]).toEqual([]);
    for (const s of LIVE_GRANT_STATES) expect([...reachableFrom(s)].some((r) => ENDED_GRANT_STATES.includes(r))).toBe(true);
  });

  it.each(PERFORMED)("allows %s → %s (%s)", (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it("allows nothing the code does not do", () => {
    const table = GRANT_STATES.flatMap((from) => GRANT_TRANSITIONS[from].map((to) => `${from}→${to}`)).sort();
    expect(table).toEqual(PERFORMED.map(([from, to]) => `${from}→${to}`).sort());
  });

  it("refuses an illegal transition in one place", () => {
    expect(() => assertTransition("expired", "active")).toThrow(IllegalGrantTransition);
    expect(() => assertTransition(["pending", "active"], "provisioning")).toThrow("A grant cannot go from active to provisioning.");
    expect(() => assertTransition("failed", "pending")).toThrow(IllegalGrantTransition);
  });

  it("derives the sets the code uses", () => {
    expect(LIVE_GRANT_STATES).toEqual(["pending", "provisioning", "replicating", "active", "expiring"]);
    expect(ENDED_GRANT_STATES).toEqual(["expired", "revoked", "failed"]);
    expect(ENDABLE_GRANT_STATES).toEqual(["pending", "provisioning", "replicating", "active"]);
    expect(REMOVED_STATES).toEqual(["expired", "revoked"]);
    expect(DUE_STATES).toEqual(["replicating", "active"]);
    expect([...IN_DIRECTORY_STATES]).toEqual(["replicating", "active"]);
    expect(TRANSIENT_STATES).toEqual(["pending", "provisioning", "replicating", "expiring"]);
  });
});

describe("the state machine in SQL", () => {
  const dialect = new PgDialect();
  const render = (q: ReturnType<typeof sql>) => dialect.sqlToQuery(q);

  it("writes sets of states as literals (the partial indexes need to see them)", () => {
    expect(render(sql`state in ${statesSql(REMOVED_STATES)}`)).toEqual({ sql: "state in ('expired', 'revoked')", params: [] });
  });

  it("builds a transition's case from checked arms", () => {
    const q = render(stateCase(["expiring"], [[sql`end_reason is not null`, "revoked"]], "expired"));
    expect(q.sql).toBe("case when end_reason is not null then 'revoked'::grant_state else 'expired'::grant_state end");
    expect(() => stateCase(["expiring"], [[sql`true`, "active"]], "expired")).toThrow(IllegalGrantTransition);
  });
});
