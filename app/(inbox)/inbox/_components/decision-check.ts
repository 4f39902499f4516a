import { MULTI_LINE } from "@/shared/text";

export interface DecisionErrors {
  comment?: string;
  shortenTo?: string;
}

/**
 * The browser's copy of the decision rules — `decideInput`'s comment and duration
 * (server/approvals/schemas.ts), bounded by the duration this request allows — as plain checks, so
 * the inbox ships neither zod nor react-hook-form. The server still parses with the schema;
 * tests/unit/client-checks.test.ts holds both to the same answers.
 */
export function checkComment(raw: string): { comment: string; error?: string } {
  const comment = raw.trim();
  if (comment.length > 1000) return { comment, error: "At most 1000 characters" };
  if (!MULTI_LINE.test(comment)) return { comment, error: "The comment contains characters that are not allowed" };
  return { comment };
}

/** "Shorten to (minutes)": empty keeps the duration as it stands (null). */
export function checkShortenTo(raw: string, max: number): { minutes: number | null; error?: string } {
  if (raw.trim() === "") return { minutes: null };
  const n = Number(raw);
  if (!Number.isFinite(n)) return { minutes: null, error: "Enter a number of minutes" };
  if (!Number.isInteger(n)) return { minutes: null, error: "Whole minutes only" };
  if (n < 1) return { minutes: null, error: "At least 1 minute" };
  if (n > max) return { minutes: null, error: `At most ${max} minutes: approvers can shorten, not lengthen` };
  return { minutes: n };
}
