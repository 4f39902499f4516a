import "server-only";
import { z } from "zod";

/** Exports of the trail (server/audit/export.ts); part of auditEventSchema. */
const filter = z.object({
  q: z.string().optional(),
  action: z.string().optional(),
  actor: z.string().optional(),
  targetId: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  /** The export reads the events up to this one (the last when it started). */
  throughSeq: z.number(),
});
const format = z.enum(["csv", "jsonl"]);

export const exportAuditEvents = [
  // Written before the first row leaves, so an export is on the trail even if it never finishes.
  z.object({ action: z.literal("audit.export_started"), targetType: z.literal("audit_trail"), data: z.object({ format, filter }) }),
  // complete: false when the download was cut (the client left, the server stopped).
  z.object({
    action: z.literal("audit.exported"),
    targetType: z.literal("audit_trail"),
    data: z.object({ format, filter, rows: z.number(), complete: z.boolean() }),
  }),
] as const;
