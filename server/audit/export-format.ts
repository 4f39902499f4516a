import "server-only";
import type { ChainRow } from "./chain";
import type { RowNames } from "./names";

/*
 * One trail row as a CSV line or a JSON line. CSV follows RFC 4180 (comma, CRLF, text cells quoted
 * with their quotes doubled, so commas and newlines stay inside a cell) and OWASP's advice on CSV
 * injection: a text cell starting with = + - @, a tab or a carriage return is prefixed with a single
 * quote, so a spreadsheet shows it as text instead of running it as a formula.
 */

/** A trail row as it is stored (the chained fields and both hashes). */
export type ExportedRow = ChainRow;

export const CSV_COLUMNS = [
  "seq",
  "at",
  "actor_type",
  "actor_id",
  "actor_name",
  "actor",
  "action",
  "target_type",
  "target_id",
  "target",
  "target_deleted",
  "data",
  "ip",
  "user_agent",
  "prev_hash",
  "hash",
] as const;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: numbers and booleans bare, null empty, text quoted and defused. */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value !== "string") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${text.replace(/"/g, '""')}"`;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

export function csvLine(r: ExportedRow, n: RowNames): string {
  const cells = [
    r.seq,
    r.at.toISOString(),
    r.actorType,
    r.actorId,
    r.actorName,
    n.actor,
    r.action,
    r.targetType,
    r.targetId,
    n.target,
    n.targetGone,
    JSON.stringify(r.data),
    r.ip,
    r.userAgent,
    r.prevHash,
    r.hash,
  ];
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/** One JSON object per line (JSON.stringify escapes newlines inside strings). */
export function jsonLine(r: ExportedRow, n: RowNames): string {
  return `${JSON.stringify({ ...r, at: r.at.toISOString(), actor: n.actor, target: n.target, targetDeleted: n.targetGone })}\n`;
}
