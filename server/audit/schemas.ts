import "server-only";
import { z } from "zod";
import { AUDIT_ACTIONS } from "./events";

/** The trail's filters: the page's (audit.list) and the export's. */
const auditFilterFields = {
  /** Free text: words (prefixes) of the action, the actor, the target (type, id, current name) and the event data. */
  q: z.string().trim().max(100).optional(),
  action: z.enum(AUDIT_ACTIONS as [string, ...string[]]).optional(),
  actor: z.string().trim().max(128).optional(),
  targetId: z.string().trim().max(200).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
};

export const listAuditInput = z.object({
  ...auditFilterFields,
  beforeSeq: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});

export const EXPORT_FORMATS = ["csv", "jsonl"] as const;

/**
 * GET /api/audit/export's query string (server/http/audit-export.ts): the same filters, as strings.
 * An empty parameter (`actor=`) means no filter, as an empty field on the page does.
 */
export const exportAuditInput = z.preprocess(
  (raw) => (raw && typeof raw === "object" ? Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== "")) : raw),
  z.object({ ...auditFilterFields, format: z.enum(EXPORT_FORMATS) }).strict(),
);
export type ExportAuditInput = z.output<typeof exportAuditInput>;
