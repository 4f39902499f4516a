import "server-only";
import { and, asc, desc, eq, inArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { db } from "@/db";
import { auditEvents, deviceSessions, grants, requests, users } from "@/db/schema";
import type { FrozenPolicy } from "@/server/access-groups/frozen";
import { lastLevel } from "@/server/approvals/levels";
import { assertCan, can, type SessionUser } from "@/server/auth/permissions";
import { notFound } from "@/server/errors";
import { setState } from "@/server/privilege-sets/my-access";
import { MAX_SET_PRIVILEGES } from "@/server/privilege-sets/schemas";
import { sessionWords } from "./session-words";
import { iso, joined, lagText, livePolicyWords, minutesText, num, replicationDetail, str } from "./timeline-words";

/*
 * A request's story for people: the audit trail of the request and of its grants, read in chain
 * order and told step by step, plus what comes next from the current state. The trail is the
 * source because it already holds every step with its time and actor; the rows only say where
 * things stand now.
 */

export const timelineInput = z.object({ requestId: z.uuid() }).strict();

export type TimelineTone = "done" | "current" | "failed" | "upcoming";

export interface TimelineStep {
  /** The audit seq, or "next:…" for a step still to come; "next:expires" is the live countdown. */
  key: string;
  /** ISO time; null for a step still to come that has no time of its own ("Waiting for level 2"). */
  at: string | null;
  label: string;
  /** Who did it ("Interim" for the worker), null when nobody did. */
  actor: string | null;
  detail: string | null;
  /** ISO end the label runs to ("Active" until …), rendered by the client in its own time zone. */
  until: string | null;
  tone: TimelineTone;
  /** A page about the step (a session's recording); admins only (requestTimeline drops it for others). */
  href?: string;
}

/** The audit columns the timeline reads. */
export interface AuditRowLike {
  seq: number;
  at: Date | string;
  actorType: string;
  actorName: string | null;
  action: string;
  data: Record<string, unknown>;
  /** The row is about an extension request of this request's grant, not about the request itself. */
  extension?: boolean;
  /** A set request's grant row: the privilege it is about, named before the step. */
  subject?: string | null;
  /** A session's rows (target device_session): its id, for the link to the recording. */
  sessionId?: string | null;
}

/** Where the request and its grant stand now: decides the trailing step. */
export interface TimelineCurrent {
  requestStatus: string;
  currentLevel: number;
  levels: number;
  grantState: string | null;
  expiresAt: Date | null;
  startsAt: Date | null;
  /** Removed on the DC written to, not yet confirmed on every DC (server/grants/replication.ts). */
  removalPending?: boolean;
}

const SYSTEM_NAME = "Interim";
// Matches no grant: an extension request whose grant reference is missing.
const NO_ID = "00000000-0000-0000-0000-000000000000";

type Told = Pick<TimelineStep, "label"> & Partial<Pick<TimelineStep, "detail" | "until" | "tone" | "actor" | "href">>;

/**
 * One audit row in words, or null for a row that another one tells better. Reads `data`
 * defensively: older rows lack newer fields, and an action this file does not know yet still
 * shows, under its own name, so a new event never breaks the timeline.
 */
function tell(action: string, d: Record<string, unknown>, by: string): Told | null {
  switch (action) {
    case "request.submitted": {
      const minutes = num(d.durationMinutes);
      const what = d.emergency === true ? "Emergency access requested" : "Requested";
      return { label: `${what} by ${by}${minutes !== null ? ` (${minutesText(minutes)})` : ""}`, detail: str(d.justification) };
    }
    case "request.decision": {
      // A denial is told by the request.denied row that always follows it in the same transaction.
      if (d.decision !== "approve") return null;
      const minutes = num(d.durationMinutes);
      return {
        label: `Level ${num(d.level) ?? "?"} approved by ${by}`,
        detail: joined(str(d.comment), minutes !== null ? `duration set to ${minutesText(minutes)}` : null),
      };
    }
    case "request.level_completed": {
      const approvals = num(d.approvals);
      return { label: `Level ${num(d.level) ?? "?"} complete`, detail: approvals !== null ? `${approvals} approval${approvals === 1 ? "" : "s"}` : null };
    }
    case "request.approved":
      // An automatic approval is recorded under the requester's name, but nobody approved it.
      return d.automatic === true ? { label: "Approved automatically", actor: null } : { label: "Approved" };
    case "request.denied":
      return { label: `Denied by ${by}`, detail: str(d.comment), tone: "failed" };
    case "request.cancelled":
      return { label: `Cancelled by ${by}`, detail: str(d.reason) };
    case "request.expired": {
      const level = num(d.level);
      return { label: "Expired without a decision", detail: level !== null ? `waited at level ${level}` : null, tone: "failed" };
    }
    case "request.emergency_reviewed":
      return { label: `Emergency access reviewed by ${by}`, detail: str(d.comment) };
    case "request.failed":
      return { label: "Approved, but not granted", detail: str(d.reason), tone: "failed" };
    case "request.extension_requested": {
      const minutes = num(d.minutes) ?? num(d.durationMinutes);
      return { label: `Extension requested by ${by}${minutes !== null ? ` (+${minutesText(minutes)})` : ""}`, detail: str(d.justification) };
    }
    case "grant.provisioning": {
      const attempt = num(d.attempt);
      return { label: attempt !== null && attempt > 1 ? `Provisioning (attempt ${attempt})` : "Provisioning" };
    }
    case "grant.activated":
      return d.replicating === true
        ? // No "until" here: the Expires step says it, and "replicating until …" would read as the wait's end.
          {
            label: "Added to the AD group, replicating",
            detail: joined("the time counts from here", d.alreadyMember === true ? "the account was already a member" : null),
          }
        : { label: "Active", until: iso(d.expiresAt), detail: d.alreadyMember === true ? "the account was already a member" : null };
    case "grant.replicated":
      return { label: d.verified === true ? "Active on every domain controller" : "Active", detail: replicationDetail(d) };
    case "grant.removal_replicated":
      return { label: d.verified === true ? "Removal replicated to every domain controller" : "Removal counted complete", detail: replicationDetail(d) };
    case "grant.activation_failed":
      return { label: `Activation failed: ${str(d.error) ?? "unknown error"}`, detail: d.final === true ? "gave up" : "will retry", tone: "failed" };
    case "grant.extended": {
      const minutes = num(d.minutes);
      return { label: `Extended${minutes !== null ? ` by ${minutesText(minutes)}` : ""} by ${by}`, until: iso(d.expiresAt) };
    }
    case "grant.end_requested":
      return { label: `End requested by ${by}`, detail: d.reason === "revoked" ? "revoked" : d.reason === "ended_early" ? "ended early" : null };
    case "grant.removed": {
      if (d.keptPreExisting === true) return { label: "Access ended", detail: "kept: membership existed before" };
      const lag = num(d.lagMs);
      const after = d.reason === "expired" ? "the expiry" : "the end was requested";
      return {
        label: "Removed from the AD group",
        detail: d.alreadyAbsent === true ? "was already absent" : lag !== null ? `${lagText(lag)} after ${after}` : null,
      };
    }
    case "grant.removal_failed":
      return { label: `Removal failed: ${str(d.error) ?? "unknown error"}`, detail: "will retry", tone: "failed" };
    case "grant.cancelled":
      return { label: "Cancelled", detail: str(d.reason) };
    case "grant.reapplied":
      return { label: "Membership re-applied", detail: "it had been removed outside Interim" };
    case "grant.rolled_back":
      return { label: "Rolled back", detail: str(d.failedPrivilege) ? `"${str(d.failedPrivilege)}" could not be granted` : null, tone: "failed" };
    case "request.rolled_back":
      return {
        label: "Privilege set rolled back",
        detail: joined(str(d.failedPrivilege) && `"${str(d.failedPrivilege)}" could not be granted`, str(d.reason)),
        tone: "failed",
      };
    default:
      return livePolicyWords(action, d, by) ?? { label: action };
  }
}

/**
 * A row of an extension request, told on the timeline of the request it extends. Its approval is
 * skipped: grant.extended follows in the same transaction and says more.
 */
function tellExtension(action: string, d: Record<string, unknown>, by: string): Told | null {
  switch (action) {
    case "request.extension_requested":
      return tell(action, d, by);
    case "request.decision":
      return d.decision === "approve" ? { label: `Extension: level ${num(d.level) ?? "?"} approved by ${by}`, detail: str(d.comment) } : null;
    case "request.level_completed":
    case "request.approved":
      return null;
    case "request.denied":
      return { label: `Extension denied by ${by}`, detail: str(d.comment), tone: "failed" };
    case "request.cancelled":
      return { label: `Extension cancelled by ${by}`, detail: str(d.reason) };
    case "request.expired":
      return { label: "Extension expired without a decision", tone: "failed" };
    default:
      return livePolicyWords(action, d, by, true) ?? { label: action };
  }
}

function actorOf(row: AuditRowLike): string {
  return row.actorType === "system" ? SYSTEM_NAME : (row.actorName ?? "someone");
}

/**
 * The steps of a request from its audit rows (ordered by seq) and where it stands now. Pure, so
 * that every wording and tone is tested without a database.
 */
export function buildTimeline(rows: AuditRowLike[], current: TimelineCurrent, now: Date): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const actions: string[] = [];
  for (const row of rows) {
    const by = actorOf(row);
    const told: Told | null = row.action.startsWith("session.")
      ? sessionWords(row.action, row.data, row.sessionId ?? null)
      : (row.extension ? tellExtension : tell)(row.action, row.data, by);
    if (!told) continue;
    steps.push({
      key: String(row.seq),
      at: new Date(row.at).toISOString(),
      label: row.subject ? `${row.subject}: ${told.label}` : told.label,
      actor: told.actor === undefined ? by : told.actor,
      detail: told.detail ?? null,
      until: told.until ?? null,
      tone: told.tone ?? "done",
      ...(told.href ? { href: told.href } : {}),
    });
    actions.push(row.action);
  }

  const next = (key: string, label: string, tone: TimelineTone, at: Date | null = null) =>
    steps.push({ key: `next:${key}`, at: at?.toISOString() ?? null, label, actor: null, detail: null, until: null, tone });
  // The latest step of one of these actions is the state the grant is in now.
  const markCurrent = (of: string[]): boolean => {
    const step = steps[actions.findLastIndex((a) => of.includes(a))];
    if (step?.tone === "done") step.tone = "current";
    return step !== undefined;
  };
  const scheduled = current.startsAt !== null && current.startsAt > now;
  const g = current.grantState;

  if (current.requestStatus === "pending") {
    next("waiting", current.levels > 1 ? `Waiting for level ${current.currentLevel} of ${current.levels}` : "Waiting for approval", "current");
    if (scheduled) next("starts", "Starts", "upcoming", current.startsAt);
  } else if (g === "pending") {
    if (scheduled) next("starts", "Starts", "upcoming", current.startsAt);
    else next("provisioning", "Provisioning", "upcoming");
  } else if (g === "provisioning") {
    if (!markCurrent(["grant.provisioning"])) next("provisioning", "Provisioning", "current");
  } else if (g === "replicating" && current.expiresAt && current.expiresAt > now) {
    next("replicating", "Waiting for every domain controller", "current");
    next("expires", "Expires", "upcoming", current.expiresAt);
  } else if ((g === "expired" || g === "revoked") && current.removalPending) {
    next("removal-replicating", "Waiting for every domain controller to drop the membership", "current");
  } else if (g === "active" && current.expiresAt && current.expiresAt > now) {
    markCurrent(["grant.activated", "grant.replicated", "grant.extended", "grant.reapplied"]);
    next("expires", "Expires", "upcoming", current.expiresAt);
  } else if (g === "active" || g === "replicating" || g === "expiring") {
    // Due (or ended): the worker takes the membership away within seconds.
    next("removing", "Removing from the AD group", "current");
  }
  return steps;
}

async function approvesRequest(user: SessionUser, policy: FrozenPolicy | null): Promise<boolean> {
  if (!policy || policy.approvers.length === 0) return false;
  const [me] = await db.select({ guid: users.objectGuid }).from(users).where(eq(users.id, user.id));
  const guid = me?.guid.toLowerCase();
  return guid !== undefined && policy.approvers.some((a) => a.userGuid.toLowerCase() === guid);
}

/**
 * The timeline of one request for its requester, an admin, or an approver of any level of its
 * frozen policy (they decided on it, or may be asked to). An access request's timeline holds its
 * grants' rows and the extensions asked for them; an extension request's holds the extension it
 * made.
 */
export async function requestTimeline(user: SessionUser, requestId: string) {
  // Parsed again: scripts and tests call services without tRPC.
  const input = timelineInput.parse({ requestId });
  const [request] = await db.select().from(requests).where(eq(requests.id, input.requestId));
  if (!request) throw notFound("No such request.");
  const owner = { userId: request.requesterId };
  // The permission matrix knows owners and admins; approvers come from the request's policy.
  if (!can(user, "read", "Request", owner) && !(await approvesRequest(user, request.policy))) assertCan(user, "read", "Request", owner);

  const extension = request.kind === "extension";
  const setRequest = request.privilegeSetId !== null;
  const ofRequest = await db
    .select({
      id: grants.id,
      state: grants.state,
      expiresAt: grants.expiresAt,
      startsAt: grants.startsAt,
      activatedAt: grants.activatedAt,
      removalVerifiedAt: grants.removalVerifiedAt,
    })
    .from(grants)
    .where(extension ? eq(grants.id, request.extendsGrantId ?? NO_ID) : eq(grants.requestId, request.id))
    .orderBy(desc(grants.createdAt))
    .limit(setRequest ? MAX_SET_PRIVILEGES : 1);
  // A set stands where its grants stand together (see privilege-sets/my-access.ts).
  const grant =
    setRequest && ofRequest.length
      ? {
          state: setState(ofRequest.map((g) => g.state)),
          expiresAt: ofRequest.reduce<Date | null>((a, g) => (g.expiresAt && (!a || g.expiresAt < a) ? g.expiresAt : a), null),
          startsAt: ofRequest[0]!.startsAt,
        }
      : ofRequest[0];

  const own = and(eq(auditEvents.targetType, "request"), eq(auditEvents.targetId, request.id));
  const grantsOfRequest = db.select({ id: grants.id }).from(grants).where(eq(grants.requestId, request.id));
  const where = extension
    ? or(
        own,
        // target_id first, so the index serves it; then the extension this request applied.
        and(
          eq(auditEvents.targetId, request.extendsGrantId ?? NO_ID),
          eq(auditEvents.targetType, "grant"),
          eq(auditEvents.action, "grant.extended"),
          sql`${auditEvents.data} ->> 'requestId' = ${request.id}`,
        ),
      )
    : or(
        own,
        and(
          eq(auditEvents.targetType, "grant"),
          inArray(
            auditEvents.targetId,
            db
              .select({ id: sql<string>`${grants.id}::text` })
              .from(grants)
              .where(eq(grants.requestId, request.id)),
          ),
        ),
        and(
          eq(auditEvents.targetType, "request"),
          inArray(
            auditEvents.targetId,
            db
              .select({ id: sql<string>`${requests.id}::text` })
              .from(requests)
              .where(inArray(requests.extendsGrantId, grantsOfRequest)),
          ),
        ),
        // A session's own rows (connected, flagged commands, ended).
        and(
          eq(auditEvents.targetType, "device_session"),
          inArray(
            auditEvents.targetId,
            db
              .select({ id: sql<string>`${deviceSessions.id}::text` })
              .from(deviceSessions)
              .where(eq(deviceSessions.requestId, request.id)),
          ),
        ),
      );
  const rows = await db
    .select({
      seq: auditEvents.seq,
      at: auditEvents.at,
      actorType: auditEvents.actorType,
      actorName: auditEvents.actorName,
      action: auditEvents.action,
      data: auditEvents.data,
      extension: sql<boolean>`${auditEvents.targetType} = 'request' and ${auditEvents.targetId} <> ${request.id}`,
      sessionId: sql<string | null>`case when ${auditEvents.targetType} = 'device_session' then ${auditEvents.targetId} end`,
      subject: setRequest
        ? sql<
            string | null
          >`case when ${auditEvents.targetType} = 'grant' then (select p.name from grants g join privileges p on p.id = g.privilege_id where g.id::text = ${auditEvents.targetId}) end`
        : sql<null>`null`,
    })
    .from(auditEvents)
    .where(where)
    .orderBy(asc(auditEvents.seq));

  const steps = buildTimeline(
    rows,
    {
      requestStatus: request.status,
      currentLevel: request.currentLevel,
      levels: request.policy ? lastLevel(request.policy) : 1,
      grantState: grant?.state ?? null,
      expiresAt: grant?.expiresAt ?? null,
      startsAt: extension ? null : (request.startsAt ?? grant?.startsAt ?? null),
      removalPending: ofRequest.some((g) => g.activatedAt && !g.removalVerifiedAt && (g.state === "expired" || g.state === "revoked")),
    },
    new Date(),
  );
  // Recordings are opened from the admin pages: other readers get the step without the link.
  const visible: TimelineStep[] = user.isAdmin ? steps : steps.map(({ href: _href, ...step }) => step);
  return { requestId: request.id, steps: visible };
}
