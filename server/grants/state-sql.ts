import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { assertTransition, type GrantState } from "./states";

/*
 * The state machine's sets in SQL. Written as literals, not parameters: the planner must see the
 * states to match the partial indexes (grants_due, grants_removal_unverified) and the values come
 * from the enum's type only, never from input.
 */

const literal = (s: GrantState) => `'${s}'`;

/** `'active'`: one state, for `state = …`. */
export const stateSql = (s: GrantState): SQL => sql.raw(literal(s));

/** `('expired', 'revoked')`: a set of states, for `state in …`. */
export const statesSql = (states: readonly GrantState[]): SQL => sql.raw(`(${states.map(literal).join(", ")})`);

/** `'failed'::grant_state`: a state as a value (the `case` of a transition that has several outcomes). */
export const stateValue = (s: GrantState): SQL => sql.raw(`${literal(s)}::grant_state`);

/**
 * The `set state = case … end` of a transition with several outcomes, each checked against the
 * table (`from` are the states the statement's guard admits).
 */
export function stateCase(from: readonly GrantState[], arms: readonly (readonly [SQL, GrantState])[], otherwise: GrantState): SQL {
  for (const [, to] of arms) assertTransition(from, to);
  assertTransition(from, otherwise);
  const whens = arms.map(([when, to]) => sql`when ${when} then ${stateValue(to)}`);
  return sql`case ${sql.join(whens, sql` `)} else ${stateValue(otherwise)} end`;
}
