import { z } from "zod";

/*
 * What the REST API answers, declared explicitly (the OpenAPI document is generated from these).
 * zod objects strip every key not listed, so a field added to a service's rows reaches the API only
 * once it is added here.
 */

const json = z.record(z.string(), z.unknown());
const when = z.date().nullable();

export const requestSummaryOutput = z.object({
  requestId: z.uuid(),
  privilegeId: z.uuid().nullable(),
  privilege: z.string().nullable(),
  privilegeSet: z.string().nullable(),
  account: z.string().nullable(),
  accessGroup: z.string().nullable(),
  durationMinutes: z.number(),
  justification: z.string(),
  requestedAt: z.date(),
  status: z.string(),
  decidedAt: when,
  grantId: z.uuid().nullable(),
  grantState: z.string().nullable(),
  activatedAt: when,
  expiresAt: when,
});

export const requestListOutput = z.object({
  live: z.array(requestSummaryOutput),
  earlier: z.array(requestSummaryOutput),
  nextCursor: z.object({ requestedAt: z.date(), requestId: z.uuid() }).nullable(),
});

export const requestStatusOutput = z.object({
  requestId: z.uuid(),
  status: z.string(),
  privilegeId: z.uuid().nullable(),
  privilegeSetId: z.uuid().nullable(),
  credentialId: z.uuid().nullable(),
  durationMinutes: z.number(),
  justification: z.string(),
  emergency: z.boolean(),
  requestedAt: z.date(),
  decidedAt: when,
  outcomeComment: z.string().nullable(),
  grants: z.array(z.object({ grantId: z.uuid(), state: z.string(), activatedAt: when, expiresAt: when })),
  timeline: z.array(z.object({ at: z.string().nullable(), label: z.string(), actor: z.string().nullable(), detail: z.string().nullable(), tone: z.string() })),
});

export const submittedOutput = z.object({
  requestId: z.uuid(),
  status: z.enum(["pending", "approved"]),
  grantId: z.uuid().nullable(),
  accessGroup: z.string(),
});

export const liveGrantOutput = z.object({
  id: z.uuid(),
  requestId: z.uuid(),
  state: z.string(),
  username: z.string(),
  privilege: z.string(),
  privilegeSet: z.string().nullable(),
  groupDn: z.string(),
  memberDn: z.string(),
  mechanism: z.string(),
  activatedAt: when,
  expiresAt: when,
  removalPending: z.boolean(),
  ticketsValidUntil: when,
});

export const grantPageOutput = z.object({ items: z.array(liveGrantOutput), total: z.number(), page: z.number(), pageSize: z.number() });

export const endedGrantOutput = z.object({ grantId: z.uuid(), state: z.string(), alreadyEnding: z.boolean() });

export const pendingApprovalOutput = z.object({
  requestId: z.uuid(),
  requester: z.string(),
  privilege: z.string(),
  account: z.string().nullable(),
  durationMinutes: z.number(),
  justification: z.string(),
  emergency: z.boolean(),
  level: z.number(),
  levels: z.number(),
  accessGroup: z.string().nullable(),
  requestedAt: z.date(),
  approvalDeadline: when,
});

export const privilegeOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  groupDn: z.string(),
  groupGuid: z.string(),
  tags: z.array(z.string()),
  maxDurationMinutes: z.number(),
  defaultDurationMinutes: z.number(),
  allowExtension: z.boolean(),
  mechanism: z.string(),
  enabled: z.boolean(),
  updatedAt: z.date(),
});

export const accessGroupSummaryOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  users: z.number(),
  directoryGroups: z.number(),
  approvers: z.number(),
  updatedAt: z.date(),
});

/** Notification channels are left out: they may hold webhook addresses and secrets. */
export const accessGroupOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  timeZone: z.string(),
  settings: json,
  criteria: json,
  limits: json,
  locations: json,
  version: z.number(),
  updatedAt: z.date(),
});

export const auditPageOutput = z.object({
  events: z.array(
    z.object({
      seq: z.number(),
      at: z.date(),
      actorType: z.string(),
      actorId: z.string().nullable(),
      actorName: z.string().nullable(),
      action: z.string(),
      targetType: z.string(),
      targetId: z.string().nullable(),
      data: json,
      ip: z.string().nullable(),
      prevHash: z.string(),
      hash: z.string(),
    }),
  ),
  /** Pass as afterSeq for the next page; null: this was the last one. */
  nextAfterSeq: z.number().nullable(),
});
