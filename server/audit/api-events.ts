import "server-only";
import { z } from "zod";

/** Audit events of API tokens and the REST API (issue 16); part of auditEventSchema. */
const tokenTarget = z.literal("api_token");

export const apiAuditEvents = [
  z.object({
    action: z.literal("api_token.created"),
    targetType: tokenTarget,
    data: z.object({ name: z.string(), scopes: z.array(z.string()), expiresAt: z.string() }),
  }),
  z.object({ action: z.literal("api_token.revoked"), targetType: tokenTarget, data: z.object({ name: z.string() }) }),
  // One row per REST call a valid token made, reads included (what automation looked at is as
  // telling as what it changed); a state change also has its own row with the token as the actor.
  z.object({
    action: z.literal("api.call"),
    targetType: tokenTarget,
    data: z.object({ token: z.string(), method: z.string(), path: z.string(), procedure: z.string(), outcome: z.string() }),
  }),
] as const;
