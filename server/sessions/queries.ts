import "server-only";
import { and, asc, desc, eq, gte, inArray, lte, or, sql, type SQL } from "drizzle-orm";
import type { z } from "zod";
import { db } from "@/db";
import { accessGroupApprovers, catalogDevices, deviceSessionChunks, deviceSessionCommands, deviceSessions, grants, requests, users } from "@/db/schema";
import type { AuditActor } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { assertCan, type SessionUser } from "@/server/auth/permissions";
import { conflict, forbidden, notFound } from "@/server/errors";
import { LIVE_GRANT_STATES } from "@/server/grants/states";
import { endSession, OPEN_SESSION_STATES } from "./lifecycle";
import { listSessionsInput, searchCommandsInput, terminateSessionInput } from "./schemas";

/*
 * Reading and ending sessions from the product (issue 14): the person's own sessions on /roles,
 * and the oversight pages (admins: every session; approvers: the sessions of the access groups
 * they approve). Watching someone else's session, live or recorded, is itself audited.
 */

type SessionRow = typeof deviceSessions.$inferSelect;
const MY_SESSIONS = 50;
/** The most recording text one detail call returns; a longer one is cut (and says so). */
export const RECORDING_CAP_BYTES = 20 * 1024 * 1024;

const likePattern = (text: string) => `%${text.replace(/[%_\\]/g, "\\$&")}%`;

/** The access groups the person approves (by their directory GUID, as approvals do). */
async function approvedGroupIds(user: SessionUser): Promise<string[]> {
  const rows = await db
    .select({ groupId: accessGroupApprovers.groupId })
    .from(accessGroupApprovers)
    .innerJoin(users, sql`lower(${accessGroupApprovers.userGuid}) = lower(${users.objectGuid})`)
    .where(eq(users.id, user.id));
  return [...new Set(rows.map((r) => r.groupId))];
}

/** Admins, and approvers of the session's access group, oversee a session. */
async function oversees(user: SessionUser, session: Pick<SessionRow, "accessGroupId">): Promise<boolean> {
  if (user.isAdmin) return true;
  if (!session.accessGroupId) return false;
  return (await approvedGroupIds(user)).includes(session.accessGroupId);
}

async function sessionRow(sessionId: string): Promise<SessionRow> {
  const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  if (!row) throw notFound("No such session.");
  return row;
}

const liveGrantsEnd = sql<Date | null>`(select min(g.expires_at) from ${grants} g where g.request_id = ${deviceSessions.requestId}
  and g.end_reason is null and g.state in (${sql.join(
    LIVE_GRANT_STATES.map((s) => sql`${s}`),
    sql`, `,
  )}))`.mapWith((v: string | null) => (v ? new Date(v) : null));

/** The person's sessions, newest first, with the time their access has left. */
export async function mySessions(user: SessionUser) {
  assertCan(user, "request", "DeviceSession");
  const rows = await db
    .select({
      id: deviceSessions.id,
      device: catalogDevices.name,
      login: deviceSessions.login,
      state: deviceSessions.state,
      createdAt: deviceSessions.createdAt,
      connectedAt: deviceSessions.connectedAt,
      endsAt: deviceSessions.endsAt,
      endedAt: deviceSessions.endedAt,
      endReason: deviceSessions.endReason,
      error: deviceSessions.error,
      flagged: deviceSessions.flagged,
      recording: deviceSessions.recording,
      maxMinutes: deviceSessions.maxMinutes,
      requestId: deviceSessions.requestId,
      requestStatus: requests.status,
      grantsEndAt: liveGrantsEnd,
      // Nothing sealed for the session: the account's password comes from the person at connect time.
      needsPassword: sql<boolean>`${deviceSessions.passwordSealed} is null`,
    })
    .from(deviceSessions)
    .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
    .innerJoin(requests, eq(requests.id, deviceSessions.requestId))
    .where(eq(deviceSessions.userId, user.id))
    .orderBy(desc(deviceSessions.createdAt))
    .limit(MY_SESSIONS);
  return rows;
}

/** The person ends their own session (an admin may end anyone's: that counts as terminated). */
export async function endMySession(user: SessionUser, actor: AuditActor, sessionId: string) {
  const row = await sessionRow(sessionId);
  assertCan(user, "end", "DeviceSession", row);
  const own = row.userId === user.id;
  const ended = await endSession(sessionId, own ? "ended-by-user" : "terminated", { actor, endedBy: user.id });
  if (!ended) throw conflict("This session has ended already.");
  return { ended };
}

/** Admins and the group's approvers stop someone's session; the gateway closes it within a second. */
export async function terminateSession(user: SessionUser, actor: AuditActor, raw: z.input<typeof terminateSessionInput>) {
  const input = terminateSessionInput.parse(raw);
  const row = await sessionRow(input.sessionId);
  if (!(await oversees(user, row))) throw forbidden("Only administrators and the approvers of its access group may terminate this session.");
  if (!(OPEN_SESSION_STATES as readonly string[]).includes(row.state)) throw conflict("This session has ended already.");
  await db.transaction((tx) =>
    recordAudit(tx, actor, [{ action: "session.terminate_requested", targetType: "device_session", targetId: row.id, data: { reason: input.reason } }]),
  );
  const ended = await endSession(row.id, "terminated", { actor, endedBy: user.id, error: input.reason || null });
  if (!ended) throw conflict("This session has ended already.");
  return { ended };
}

const commandCount = sql<number>`(select count(*)::int from ${deviceSessionCommands} c where c.session_id = ${deviceSessions.id})`;

/** Sessions for oversight: admins see every one, approvers those of the groups they approve. */
export async function listSessions(user: SessionUser, raw: z.input<typeof listSessionsInput>) {
  const input = listSessionsInput.parse(raw);
  const where: (SQL | undefined)[] = [];
  if (!user.isAdmin) {
    const groups = await approvedGroupIds(user);
    if (!groups.length) throw forbidden("Only administrators and approvers see sessions on devices.");
    where.push(inArray(deviceSessions.accessGroupId, groups));
  }
  if (input.state === "open") where.push(inArray(deviceSessions.state, [...OPEN_SESSION_STATES]));
  if (input.state === "ended") where.push(inArray(deviceSessions.state, ["ended", "failed"]));
  if (input.flaggedOnly) where.push(eq(deviceSessions.flagged, true));
  if (input.query) {
    const q = likePattern(input.query);
    where.push(
      or(
        sql`${deviceSessions.login} ilike ${q}`,
        sql`${catalogDevices.name} ilike ${q}`,
        sql`${users.username} ilike ${q}`,
        sql`${users.displayName} ilike ${q}`,
      ),
    );
  }
  return db
    .select({
      id: deviceSessions.id,
      person: users.username,
      personName: users.displayName,
      device: catalogDevices.name,
      login: deviceSessions.login,
      state: deviceSessions.state,
      flagged: deviceSessions.flagged,
      createdAt: deviceSessions.createdAt,
      connectedAt: deviceSessions.connectedAt,
      endedAt: deviceSessions.endedAt,
      endReason: deviceSessions.endReason,
      commands: commandCount,
      recordingBytes: deviceSessions.recordingBytes,
    })
    .from(deviceSessions)
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
    .where(and(...where))
    .orderBy(desc(deviceSessions.createdAt))
    .limit(input.limit);
}

/** The chunks in seq order, stopping before the cap (whole chunks only, so every line stays whole). */
async function recordingOf(sessionId: string) {
  // The cap is applied in the database: a huge recording is never loaded whole into this process.
  const rows = await db.execute<{ data: string; cut: boolean }>(sql`
    with sized as (
      select seq, data, sum(octet_length(data)) over (order by seq) as total
      from ${deviceSessionChunks} where session_id = ${sessionId}
    )
    select data, exists (select 1 from sized where total > ${RECORDING_CAP_BYTES}) as cut
    from sized where total <= ${RECORDING_CAP_BYTES} order by seq`);
  const cut = rows.length ? rows[0]!.cut : (await db.execute(sql`select 1 from ${deviceSessionChunks} where session_id = ${sessionId} limit 1`)).length > 0;
  return { text: rows.map((r) => r.data).join(""), truncated: cut };
}

/** One session with its commands and recording: for its owner, admins and the group's approvers (audited for the latter). */
export async function sessionDetail(user: SessionUser, actor: AuditActor, sessionId: string) {
  const [row] = await db.select().from(deviceSessions).where(eq(deviceSessions.id, sessionId));
  // Whoever may not see it is told it does not exist: an id proves nothing.
  if (!row || (row.userId !== user.id && !(await oversees(user, row)))) throw notFound("No such session.");
  const [facts] = await db
    .select({ person: users.username, personName: users.displayName, device: catalogDevices.name, requestStatus: requests.status, grantsEndAt: liveGrantsEnd })
    .from(deviceSessions)
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
    .innerJoin(requests, eq(requests.id, deviceSessions.requestId))
    .where(eq(deviceSessions.id, sessionId));
  const commands = await db
    .select({
      seq: deviceSessionCommands.seq,
      at: deviceSessionCommands.at,
      offset: deviceSessionCommands.offset,
      text: deviceSessionCommands.text,
      source: deviceSessionCommands.source,
      uncertain: deviceSessionCommands.uncertain,
      action: deviceSessionCommands.action,
      rule: deviceSessionCommands.rule,
      deviation: deviceSessionCommands.deviation,
    })
    .from(deviceSessionCommands)
    .where(eq(deviceSessionCommands.sessionId, sessionId))
    .orderBy(asc(deviceSessionCommands.seq));
  const recording = await recordingOf(sessionId);
  if (row.userId !== user.id) {
    await db.transaction((tx) =>
      recordAudit(tx, actor, [{ action: "session.watched", targetType: "device_session", targetId: row.id, data: { live: row.state === "live" } }]),
    );
  }
  return {
    id: row.id,
    ...facts!,
    login: row.login,
    host: row.host,
    port: row.port,
    hostKeySha256: row.hostKeySha256,
    state: row.state,
    recordingEnabled: row.recording,
    maxMinutes: row.maxMinutes,
    idleMinutes: row.idleMinutes,
    plannedActivity: row.plannedActivity,
    requestId: row.requestId,
    createdAt: row.createdAt,
    connectedAt: row.connectedAt,
    endsAt: row.endsAt,
    endedAt: row.endedAt,
    endReason: row.endReason,
    error: row.error,
    flagged: row.flagged,
    recordingBytes: row.recordingBytes,
    commands,
    recording: recording.text,
    recordingTruncated: recording.truncated,
    mayTerminate: await oversees(user, row),
  };
}

/** "Who ran Set-ADUser last week": commands across sessions, newest first (admins). */
export async function searchCommands(user: SessionUser, raw: z.input<typeof searchCommandsInput>, actor: AuditActor) {
  assertCan(user, "manage", "DeviceSession");
  const input = searchCommandsInput.parse(raw);
  const hits = await db
    .select({
      command: deviceSessionCommands.text,
      at: deviceSessionCommands.at,
      offset: deviceSessionCommands.offset,
      action: deviceSessionCommands.action,
      uncertain: deviceSessionCommands.uncertain,
      sessionId: deviceSessions.id,
      person: users.username,
      login: deviceSessions.login,
      device: catalogDevices.name,
      requestId: deviceSessions.requestId,
    })
    .from(deviceSessionCommands)
    .innerJoin(deviceSessions, eq(deviceSessions.id, deviceSessionCommands.sessionId))
    .innerJoin(users, eq(users.id, deviceSessions.userId))
    .innerJoin(catalogDevices, eq(catalogDevices.id, deviceSessions.deviceId))
    .where(
      and(
        sql`${deviceSessionCommands.text} ilike ${likePattern(input.query)}`,
        input.since ? gte(deviceSessionCommands.at, input.since) : undefined,
        input.until ? lte(deviceSessionCommands.at, input.until) : undefined,
      ),
    )
    .orderBy(desc(deviceSessionCommands.at))
    .limit(input.limit);
  // Reading what people typed is itself on the record, like watching a recording.
  {
    await db.transaction((tx) =>
      recordAudit(tx, actor, [
        {
          action: "session.commands_searched",
          targetType: "device_session",
          targetId: null,
          data: { query: input.query, since: input.since?.toISOString() ?? null, until: input.until?.toISOString() ?? null, results: hits.length },
        },
      ]),
    );
  }
  return hits;
}
