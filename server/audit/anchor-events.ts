import "server-only";
import { z } from "zod";
import { checkpointSchema } from "./checkpoints-sign";

/** Audit events of the chain's anchoring (issue 16): signed checkpoints and broken-chain alerts; part of auditEventSchema. */
export const anchorAuditEvents = [
  // The signed checkpoint itself: the SIEM export carries it off the machine with every other row.
  z.object({ action: z.literal("audit.checkpoint"), targetType: z.literal("audit_chain"), data: checkpointSchema }),
  // The worker's continuous check found a problem (raised once per problem: server/audit/watch.ts).
  z.object({
    action: z.literal("audit.chain_broken"),
    targetType: z.literal("audit_chain"),
    data: z.object({ alertId: z.string(), problem: z.string(), seq: z.number(), message: z.string() }),
  }),
  z.object({
    action: z.literal("audit.chain_alert_acknowledged"),
    targetType: z.literal("audit_chain_alert"),
    data: z.object({ problem: z.string(), seq: z.number(), note: z.string() }),
  }),
] as const;
