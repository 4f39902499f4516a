import "server-only";
import type { RequestField } from "@/server/access-groups/policy/groups";

/*
 * The fields an access group requires (justification, change ID, governance code), checked the
 * same way for a request and for an extension of the access it granted: more time is a new decision.
 */

const FIELD_LABELS = { justification: "a justification", changeId: "a change ID", governanceCode: "a governance (ITSM) code" } as const satisfies Record<
  RequestField,
  string
>;

/** Why the input lacks a field the group requires, or null. An absent field counts as empty. */
export function missingFieldsReason(group: { name: string }, required: readonly RequestField[], input: Partial<Record<RequestField, string>>): string | null {
  const missing = required.filter((f) => (input[f] ?? "") === "");
  if (missing.length === 0) return null;
  return `The access group ${group.name} requires ${missing.map((f) => FIELD_LABELS[f]).join(" and ")}.`;
}
