import "server-only";
import { z } from "zod";
import { anchorAuditEvents } from "./anchor-events";
import { configAuditEvents } from "./config-events";
import { exportAuditEvents } from "./export-events";
import { apiAuditEvents } from "./api-events";
import { sessionAuditEvents } from "./session-events";

/** Who did it. Workers act as "system"; people act with their user id and request context; API tokens (server/api/) with the token's id. */
export interface AuditActor {
  type: "user" | "system" | "token";
  id: string | null;
  name: string;
  ip?: string | null;
  userAgent?: string | null;
}

export const SYSTEM_ACTOR: AuditActor = { type: "system", id: null, name: "interim-worker" };

const snapshot = z.record(z.string(), z.unknown());

/** How a change spread over the DCs: each DC's delay (null = never seen) and the DCs that never confirmed it. */
const replicationOutcome = z.object({
  mode: z.enum(["verify", "wait", "both"]),
  settledBy: z.enum(["verified", "latency", "verified+latency", "max-wait", "superseded"]),
  /** True only when every DC was seen with the change (`wait` mode checks none; the cap ends the wait without it). */
  verified: z.boolean(),
  elapsedMs: z.number(),
  dcs: z.array(z.object({ host: z.string(), seenAfterMs: z.number().nullable(), error: z.string().nullable() })),
  unconfirmed: z.array(z.string()),
});
const replicationSettings = z.object({
  mode: z.enum(["verify", "wait", "both"]),
  latencySeconds: z.number(),
  maxWaitSeconds: z.number(),
  dcUrls: z.array(z.string()),
});
/** A duration shortened to the privilege's maximum of the day (issue 13). */
const clipped = z.object({ fromMinutes: z.number(), toMinutes: z.number(), note: z.string() });
export const accessGroupTab = z.enum(["settings", "criteria", "users", "approvers", "limits", "locations", "notifications", "sessions"]);

/**
 * Every action that can appear in the trail, with the shape of its data. A new state change
 * adds a member here first, so the trail stays typed end to end.
 */
export const auditEventSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("auth.signin_succeeded"), targetType: z.literal("user"), data: z.object({ username: z.string(), isAdmin: z.boolean() }) }),
  z.object({ action: z.literal("auth.signin_failed"), targetType: z.literal("user"), data: z.object({ username: z.string(), reason: z.string() }) }),
  // Sessions ended on the server (server/auth/sessions.ts): by an admin, idle, expired, or the account refused by AD.
  z.object({
    action: z.literal("auth.sessions_ended"),
    targetType: z.literal("user"),
    data: z.object({ username: z.string(), reason: z.string(), sessions: z.number() }),
  }),
  // A disabled, expired or deleted AD account's pending requests cancelled and live grants ended (server/auth/offboarding.ts).
  z.object({
    action: z.literal("user.offboarded"),
    targetType: z.literal("user"),
    data: z.object({ username: z.string(), reason: z.string(), requestsCancelled: z.number(), grantsEnded: z.number() }),
  }),
  z.object({ action: z.literal("privilege.published"), targetType: z.literal("privilege"), data: z.object({ after: z.record(z.string(), z.unknown()) }) }),
  // A requester starred or un-starred a privilege on /roles (server/requests/access.ts).
  z.object({
    action: z.literal("privilege.favourite_changed"),
    targetType: z.literal("privilege"),
    data: z.object({ privilege: z.string(), favourite: z.boolean() }),
  }),
  z.object({
    action: z.literal("privilege.updated"),
    targetType: z.literal("privilege"),
    data: z.object({ before: z.record(z.string(), z.unknown()), after: z.record(z.string(), z.unknown()) }),
  }),
  z.object({
    action: z.literal("request.submitted"),
    targetType: z.literal("request"),
    data: z.object({
      privilegeId: z.string(),
      privilege: z.string(),
      durationMinutes: z.number(),
      justification: z.string(),
      targetDn: z.string(),
      // Since access groups (absent on older rows):
      accessGroupId: z.string().optional(),
      accessGroup: z.string().optional(),
      credential: z.string().nullable().optional(),
      changeId: z.string().nullable().optional(),
      governanceCode: z.string().nullable().optional(),
      location: z.string().optional(),
      windowEndsAt: z.string().nullable().optional(),
      awaitingApproval: z.boolean().optional(),
      emergency: z.boolean().optional(),
      // Since scheduled requests and usual hours:
      startsAt: z.string().nullable().optional(),
      outsideUsualHours: z.boolean().optional(),
      // Since privilege sets: a set request names the set and every privilege it grants.
      privilegeSetId: z.string().optional(),
      privileges: z.array(z.string()).optional(),
    }),
  }),
  z.object({
    action: z.literal("request.extension_requested"),
    targetType: z.literal("request"),
    data: z.object({ grantId: z.string(), privilege: z.string(), minutes: z.number(), justification: z.string(), awaitingApproval: z.boolean() }),
  }),
  z.object({
    action: z.literal("grant.extended"),
    targetType: z.literal("grant"),
    data: z.object({ requestId: z.string(), minutes: z.number(), previousExpiresAt: z.string(), expiresAt: z.string(), clipped: z.boolean() }),
  }),
  z.object({
    action: z.literal("notification.failed"),
    targetType: z.literal("notification"),
    data: z.object({ channel: z.enum(["email", "webhook"]), recipient: z.string(), eventId: z.string(), attempts: z.number(), error: z.string() }),
  }),
  z.object({
    action: z.literal("request.decision"),
    targetType: z.literal("request"),
    data: z.object({ level: z.number(), decision: z.enum(["approve", "deny"]), comment: z.string(), durationMinutes: z.number().nullable() }),
  }),
  z.object({
    action: z.literal("request.level_completed"),
    targetType: z.literal("request"),
    data: z.object({ level: z.number(), approvals: z.number(), nextLevel: z.number().nullable() }),
  }),
  z.object({ action: z.literal("request.denied"), targetType: z.literal("request"), data: z.object({ level: z.number(), comment: z.string() }) }),
  z.object({ action: z.literal("request.emergency_reviewed"), targetType: z.literal("request"), data: z.object({ comment: z.string() }) }),
  z.object({ action: z.literal("request.cancelled"), targetType: z.literal("request"), data: z.object({ reason: z.string() }) }),
  z.object({ action: z.literal("request.expired"), targetType: z.literal("request"), data: z.object({ deadline: z.string(), level: z.number() }) }),
  // The last approval could not grant (one live grant per account and group: another won the race).
  z.object({ action: z.literal("request.failed"), targetType: z.literal("request"), data: z.object({ rule: z.string(), reason: z.string() }) }),
  z.object({
    action: z.literal("request.refused"),
    // A set request is refused as a whole; `privilege` is then the set's name.
    targetType: z.enum(["privilege", "privilege_set"]),
    data: z.object({ privilege: z.string(), rule: z.string(), reason: z.string(), location: z.string() }),
  }),
  // grantIds: every grant of a set request (grantId is the first).
  z.object({
    action: z.literal("request.approved"),
    targetType: z.literal("request"),
    data: z.object({ automatic: z.boolean(), grantId: z.string(), grantIds: z.array(z.string()).optional() }),
  }),
  z.object({
    action: z.literal("grant.provisioning"),
    targetType: z.literal("grant"),
    data: z.object({ attempt: z.number(), groupDn: z.string(), memberDn: z.string() }),
  }),
  z.object({
    action: z.literal("grant.activated"),
    targetType: z.literal("grant"),
    // mechanism/ttlSeconds since TTL grants (absent on older rows): what the directory was asked for.
    // replicating since replication checks: the grant waits for the other DCs before it counts as active.
    data: z.object({
      groupDn: z.string(),
      memberDn: z.string(),
      expiresAt: z.string(),
      alreadyMember: z.boolean(),
      mechanism: z.string().optional(),
      ttlSeconds: z.number().nullable().optional(),
      /** Mechanism temporary-group: the group that holds the account. */
      temporaryGroupDn: z.string().optional(),
      replicating: z.boolean().optional(),
    }),
  }),
  // Replication (server/grants/replication.ts): the add, then the removal, counted done on every DC.
  z.object({
    action: z.literal("grant.replicated"),
    targetType: z.literal("grant"),
    data: replicationOutcome.extend({ groupDn: z.string(), memberDn: z.string() }),
  }),
  z.object({
    action: z.literal("grant.removal_replicated"),
    targetType: z.literal("grant"),
    data: replicationOutcome.extend({ groupDn: z.string(), memberDn: z.string() }),
  }),
  z.object({
    action: z.literal("grant.activation_failed"),
    targetType: z.literal("grant"),
    data: z.object({ attempt: z.number(), error: z.string(), final: z.boolean() }),
  }),
  z.object({
    action: z.literal("grant.end_requested"),
    targetType: z.literal("grant"),
    data: z.object({ reason: z.enum(["revoked", "ended_early"]), previousExpiresAt: z.string().nullable() }),
  }),
  z.object({
    action: z.literal("grant.removed"),
    targetType: z.literal("grant"),
    data: z.object({
      groupDn: z.string(),
      memberDn: z.string(),
      reason: z.enum(["expired", "revoked", "ended_early"]),
      expiresAt: z.string(),
      lagMs: z.number(),
      alreadyAbsent: z.boolean(),
      keptPreExisting: z.boolean(),
    }),
  }),
  z.object({ action: z.literal("grant.removal_failed"), targetType: z.literal("grant"), data: z.object({ groupDn: z.string(), error: z.string() }) }),
  z.object({ action: z.literal("grant.cancelled"), targetType: z.literal("grant"), data: z.object({ reason: z.string() }) }),
  // Privilege sets: one grant failed for good, so the request's other grants are taken back.
  z.object({
    action: z.literal("grant.rolled_back"),
    targetType: z.literal("grant"),
    data: z.object({ failedGrantId: z.string(), failedPrivilege: z.string(), reason: z.string(), previousState: z.string() }),
  }),
  z.object({
    action: z.literal("request.rolled_back"),
    targetType: z.literal("request"),
    data: z.object({ privilegeSet: z.string(), failedGrantId: z.string(), failedPrivilege: z.string(), reason: z.string(), rolledBack: z.array(z.string()) }),
  }),
  // Issue 13: the live policy, re-checked at a decision or an activation (server/access-groups/live-policy.ts).
  z.object({
    action: z.literal("request.policy_refused"),
    targetType: z.literal("request"),
    data: z.object({ rule: z.string(), reason: z.string(), level: z.number() }),
  }),
  z.object({ action: z.literal("grant.policy_refused"), targetType: z.literal("grant"), data: z.object({ rule: z.string(), reason: z.string() }) }),
  z.object({
    action: z.literal("request.vote_refused"),
    targetType: z.literal("request"),
    data: z.object({ rule: z.string(), reason: z.string(), level: z.number(), decision: z.enum(["approve", "deny"]) }),
  }),
  z.object({ action: z.literal("request.duration_clipped"), targetType: z.literal("request"), data: clipped }),
  z.object({ action: z.literal("grant.duration_clipped"), targetType: z.literal("grant"), data: clipped }),
  z.object({ action: z.literal("privilege_set.created"), targetType: z.literal("privilege_set"), data: z.object({ after: snapshot }) }),
  z.object({ action: z.literal("privilege_set.updated"), targetType: z.literal("privilege_set"), data: z.object({ before: snapshot, after: snapshot }) }),
  z.object({ action: z.literal("grant.reapplied"), targetType: z.literal("grant"), data: z.object({ groupDn: z.string(), memberDn: z.string() }) }),
  // A temporary group no live grant owns (a crash between its creation and the grant's record, a grant that failed for good).
  z.object({
    action: z.literal("directory.temporary_group_deleted"),
    targetType: z.literal("group"),
    data: z.object({ groupDn: z.string(), grantId: z.string(), grantState: z.string().nullable(), createdAt: z.string().nullable() }),
  }),
  z.object({
    action: z.literal("directory.orphan_removed"),
    targetType: z.literal("group"),
    data: z.object({ groupDn: z.string(), memberDn: z.string(), lastGrantId: z.string() }),
  }),
  // Drift: memberships of managed groups that no grant explains (server/drift).
  z.object({
    action: z.literal("directory.drift_found"),
    targetType: z.literal("group"),
    data: z.object({
      findingId: z.string(),
      groupDn: z.string(),
      memberDn: z.string(),
      memberName: z.string(),
      kind: z.enum(["standing", "outlived"]),
      note: z.string().nullable(),
    }),
  }),
  z.object({
    action: z.literal("directory.standing_removed"),
    targetType: z.literal("group"),
    data: z.object({ findingId: z.string(), groupDn: z.string(), memberDn: z.string(), memberName: z.string() }),
  }),
  z.object({
    action: z.literal("drift.settings_changed"),
    targetType: z.literal("privilege"),
    data: z.object({ privilege: z.string(), groupDn: z.string(), before: z.enum(["alert", "remove"]), after: z.enum(["alert", "remove"]) }),
  }),
  z.object({
    action: z.literal("drift.finding_accepted"),
    targetType: z.literal("group"),
    data: z.object({ findingId: z.string(), groupDn: z.string(), memberDn: z.string(), memberName: z.string() }),
  }),
  z.object({
    action: z.literal("drift.member_removed"),
    targetType: z.literal("group"),
    data: z.object({ findingId: z.string(), groupDn: z.string(), memberDn: z.string(), memberName: z.string(), kind: z.enum(["standing", "outlived"]) }),
  }),
  z.object({
    action: z.literal("user.admin_changed"),
    targetType: z.literal("user"),
    data: z.object({ username: z.string(), isAdmin: z.boolean(), reason: z.string() }),
  }),
  z.object({ action: z.literal("access_group.created"), targetType: z.literal("access_group"), data: z.object({ after: snapshot }) }),
  z.object({
    action: z.literal("access_group.updated"),
    targetType: z.literal("access_group"),
    data: z.object({ tab: accessGroupTab, before: snapshot, after: snapshot }),
  }),
  z.object({ action: z.literal("access_group.deleted"), targetType: z.literal("access_group"), data: z.object({ before: snapshot }) }),
  z.object({
    action: z.literal("access_group.webhook_secret_issued"),
    targetType: z.literal("access_group"),
    data: z.object({ webhookId: z.string(), name: z.string(), reason: z.enum(["created", "rotated"]) }),
  }),
  z.object({
    action: z.literal("access_group.member_added"),
    targetType: z.literal("access_group"),
    data: z.object({ group: z.string(), kind: z.enum(["user", "group"]), name: z.string(), dn: z.string(), objectGuid: z.string() }),
  }),
  z.object({
    action: z.literal("access_group.member_removed"),
    targetType: z.literal("access_group"),
    data: z.object({ group: z.string(), kind: z.enum(["user", "group"]), name: z.string(), dn: z.string(), objectGuid: z.string() }),
  }),
  z.object({
    action: z.literal("access_group.activation_changed"),
    targetType: z.literal("access_group"),
    data: z.object({ group: z.string(), username: z.string(), userGuid: z.string(), before: z.string().nullable(), after: z.string(), source: z.string() }),
  }),
  z.object({ action: z.literal("catalog.item_created"), targetType: z.enum(["device", "credential"]), data: z.object({ after: snapshot }) }),
  z.object({ action: z.literal("catalog.item_updated"), targetType: z.enum(["device", "credential"]), data: z.object({ before: snapshot, after: snapshot }) }),
  z.object({ action: z.literal("catalog.item_deleted"), targetType: z.enum(["device", "credential"]), data: z.object({ before: snapshot }) }),
  z.object({
    action: z.literal("catalog.sync_completed"),
    targetType: z.literal("catalog_sync"),
    data: z.object({
      trigger: z.string(),
      state: z.enum(["succeeded", "failed"]),
      added: z.number(),
      updated: z.number(),
      removed: z.number(),
      error: z.string().nullable(),
    }),
  }),
  z.object({
    action: z.literal("directory.protected_leftovers_cleared"),
    targetType: z.literal("grant"),
    data: z.object({ memberDn: z.string(), groupDn: z.string(), adminCountCleared: z.boolean(), inheritanceRestored: z.boolean() }),
  }),
  z.object({
    action: z.literal("directory.protected_cleanup_failed"),
    targetType: z.literal("grant"),
    data: z.object({ memberDn: z.string(), groupDn: z.string(), error: z.string() }),
  }),
  z.object({
    action: z.literal("directory.replication_changed"),
    targetType: z.literal("directory"),
    data: z.object({ before: replicationSettings, after: replicationSettings }),
  }),
  // What an admin asked for, even when it changes nothing (issue 13: who triggered which check, and when).
  z.object({ action: z.literal("drift.check_requested"), targetType: z.literal("directory"), data: z.object({}) }),
  z.object({ action: z.literal("catalog.sync_requested"), targetType: z.literal("catalog_sync"), data: z.object({ joined: z.boolean() }) }),
  z.object({ action: z.literal("directory.recheck_requested"), targetType: z.literal("directory"), data: z.object({}) }),
  // No configured DC answered a directory write (issue 15): one event when it starts and one when it ends, not one per grant.
  z.object({
    action: z.literal("directory.outage_started"),
    targetType: z.literal("directory"),
    data: z.object({ outageId: z.string(), dcUrl: z.string(), error: z.string() }),
  }),
  z.object({
    action: z.literal("directory.outage_ended"),
    targetType: z.literal("directory"),
    data: z.object({ outageId: z.string(), dcUrl: z.string(), startedAt: z.string(), durationMs: z.number(), failures: z.number(), lastError: z.string() }),
  }),
  z.object({
    action: z.literal("directory.checked"),
    targetType: z.literal("directory"),
    data: z.object({ pamFeatureEnabled: z.boolean(), domainControllers: z.number(), lockoutThreshold: z.number() }),
  }),
  ...sessionAuditEvents,
  ...anchorAuditEvents,
  ...configAuditEvents,
  ...exportAuditEvents,
  ...apiAuditEvents,
]);

export type AuditEvent = z.infer<typeof auditEventSchema> & { targetId: string | null };
export type AuditAction = AuditEvent["action"];
export const AUDIT_ACTIONS = auditEventSchema.options.map((o) => o.shape.action.value) as AuditAction[];
