import type { Resolver } from "react-hook-form";
import { criteriaSchema, type Criteria, type CriteriaField } from "@/server/access-groups/policy/schemas";

/*
 * The criteria form edits each field as text, one pattern per line. Blank lines are dropped, so
 * zod's index into a field's list is mapped back to the line the person sees.
 */

export type CriteriaText = Record<CriteriaField, string>;

export const FIELD_LABEL: Record<CriteriaField, string> = {
  privilegeNames: "Privilege names",
  privilegeTags: "Privilege tags",
  credentialUsernames: "Credential usernames",
  credentialTypes: "Credential types",
  credentialTags: "Credential tags",
  deviceNames: "Device names",
  deviceModels: "Device models",
  deviceTypes: "Device types",
  deviceTags: "Device tags",
  websites: "Websites",
};

const FIELDS = Object.keys(FIELD_LABEL) as CriteriaField[];

export function criteriaToText(criteria: Criteria): CriteriaText {
  return Object.fromEntries(FIELDS.map((f) => [f, criteria[f].join("\n")])) as CriteriaText;
}

function linesOf(text: string): { line: number; value: string }[] {
  return text
    .split(/\r?\n/)
    .map((value, i) => ({ line: i + 1, value }))
    .filter((l) => l.value.trim() !== "");
}

export type CriteriaErrors = Partial<Record<CriteriaField, string[]>>;

export function parseCriteriaText(text: CriteriaText): { ok: true; criteria: Criteria } | { ok: false; errors: CriteriaErrors } {
  const lines = Object.fromEntries(FIELDS.map((f) => [f, linesOf(text[f] ?? "")])) as Record<CriteriaField, { line: number; value: string }[]>;
  const parsed = criteriaSchema.safeParse(Object.fromEntries(FIELDS.map((f) => [f, lines[f].map((l) => l.value)])));
  if (parsed.success) return { ok: true, criteria: parsed.data };
  const errors: CriteriaErrors = {};
  for (const issue of parsed.error.issues) {
    const [field, index] = issue.path as [CriteriaField, number | undefined];
    const line = typeof index === "number" ? lines[field]?.[index]?.line : undefined;
    (errors[field] ??= []).push(line ? `Line ${line}: ${issue.message}` : issue.message);
  }
  return { ok: false, errors };
}

/** react-hook-form resolver: the text fields in, the criteria out, one message per field. */
export const criteriaResolver: Resolver<CriteriaText, unknown, Criteria> = (values) => {
  const result = parseCriteriaText(values);
  if (result.ok) return { values: result.criteria, errors: {} };
  return {
    values: {},
    errors: Object.fromEntries(Object.entries(result.errors).map(([field, messages]) => [field, { type: "validate", message: messages.join(" ") }])),
  };
};
