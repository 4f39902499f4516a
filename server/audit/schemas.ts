import "server-only";
import { z } from "zod";
import { AUDIT_ACTIONS } from "./events";

export const listAuditInput = z.object({
  /** Free text over the action, the actor and the target (type and id), ignoring case. */
  q: z.string().trim().max(100).optional(),
  action: z.enum(AUDIT_ACTIONS as [string, ...string[]]).optional(),
  actor: z.string().trim().max(128).optional(),
  targetId: z.string().trim().max(200).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
  beforeSeq: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
