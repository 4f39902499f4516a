import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { db, type Executor } from "@/db";
import { directorySettings, grants, type DcReplicationState, type GrantReplication } from "@/db/schema";
import { SYSTEM_ACTOR, type AuditEvent } from "@/server/audit/events";
import { recordAudit } from "@/server/audit/service";
import { dcTargetFromUrl, dcUrlFor, membersOnDc, type DcTarget } from "@/server/directory/replication";
import { listDomainControllers } from "@/server/directory/domain";
import { withSessionLock } from "@/server/jobs/locks";
import {
  checksDomainControllers,
  decideReplication,
  mergeObservations,
  observationsOf,
  REPLICATION_DEFAULTS,
  replicationWaitNeeded,
  type DcObservation,
  type ReplicationDecision,
  type ReplicationSettings,
} from "./replication-policy";
import { stateSql, statesSql } from "./state-sql";
import { assertTransition, REMOVED_STATES } from "./states";
import { recordTransition } from "./transition";

const REPLICATING = stateSql("replicating");

/*
 * Replication: a membership written to one DC is not yet on the others. A grant stays
 * `replicating` after the write, and a removal stays unverified, until the admin's replication
 * settings say the change is everywhere (server/grants/replication-policy.ts). The worker runs
 * checkReplication every few seconds; a single-DC domain never waits.
 */

export interface ReplicationConfig extends ReplicationSettings {
  /** The DCs to verify; empty in `wait` mode; null when they could not be listed (see dcError). */
  dcs: DcTarget[] | null;
  /** The admin named the DCs (otherwise they are the ones found in the directory). */
  explicit: boolean;
  dcError: string | null;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** DCs listed live (the directory was never checked) are kept this long, not asked per grant. */
const DISCOVERY_CACHE_MS = 60_000;
let discovered: { at: number; dcs: DcTarget[] } | undefined;

const toTargets = (hosts: { hostName: string }[]) => hosts.map((d) => ({ host: d.hostName.toLowerCase(), url: dcUrlFor(d.hostName) }));

async function discoverNow(): Promise<DcTarget[]> {
  if (discovered && Date.now() - discovered.at < DISCOVERY_CACHE_MS) return discovered.dcs;
  const dcs = toTargets(await listDomainControllers());
  discovered = { at: Date.now(), dcs };
  return dcs;
}

/**
 * The settings and the DCs to check: the admin's list, else the DCs the last directory check
 * stored (nTDSDSA objects), else the directory asked now. The admin's list only ever names DCs of
 * the domain (checked on save, and here again): the checks bind with the service password.
 */
export async function loadReplicationConfig(executor: Executor = db): Promise<ReplicationConfig> {
  const [row] = await executor.select().from(directorySettings).where(eq(directorySettings.id, 1));
  const settings: ReplicationSettings = row
    ? { mode: row.replicationMode, latencySeconds: row.replicationLatencySeconds, maxWaitSeconds: row.replicationMaxWaitSeconds }
    : REPLICATION_DEFAULTS;
  if (!checksDomainControllers(settings)) return { ...settings, dcs: [], explicit: false, dcError: null };
  let domainDcs: DcTarget[];
  try {
    domainDcs = row?.domainControllers ? toTargets(row.domainControllers) : await discoverNow();
  } catch (err) {
    return { ...settings, dcs: null, explicit: false, dcError: message(err) };
  }
  const known = new Set(domainDcs.map((d) => d.host));
  const named = (row?.replicationDcUrls ?? []).map(dcTargetFromUrl).filter((d) => known.has(d.host));
  return named.length ? { ...settings, dcs: named, explicit: true, dcError: null } : { ...settings, dcs: domainDcs, explicit: false, dcError: null };
}

/** What a change starts with: whether it must wait, and the per-DC record it waits with. */
export interface ReplicationStart {
  waits: boolean;
  record: (phase: GrantReplication["phase"]) => GrantReplication;
}

export async function replicationStart(executor: Executor = db): Promise<ReplicationStart> {
  const config = await loadReplicationConfig(executor);
  const waits = replicationWaitNeeded(config, config.dcs ? { count: config.dcs.length, explicit: config.explicit } : null);
  return { waits, record: (phase) => ({ phase, dcs: (config.dcs ?? []).map((d) => ({ host: d.host, seenAt: null, error: null })) }) };
}

export interface ReplicationCheckResult {
  /** Grants and removals that were waiting. */
  pending: number;
  /** Grants that became active. */
  activated: number;
  /** Removals counted done on every DC. */
  removalsSettled: number;
  /** Of those settled, how many some DC never confirmed (the cap). */
  unverified: number;
  /** LDAP searches sent (one per group per DC). */
  searches: number;
  errors: { host: string; groupDn: string; error: string }[];
}

type PendingRow = {
  id: string;
  request_id: string;
  group_guid: string;
  group_dn: string;
  member_guid: string;
  member_dn: string;
  end_reason: string | null;
  phase: GrantReplication["phase"];
  since: Date | string;
  replication: GrantReplication | null;
  superseded: boolean;
};

/** A DC that could not even be listed stands for all of them in the record and the audit. */
const UNKNOWN_DCS = "domain controllers (not listed)";

/**
 * One pass: reads every grant still replicating and every removal not yet confirmed, asks each
 * DC that has not shown a change yet — one search per group per DC, with all the members of
 * that group in it — and settles what the settings allow: the grant becomes active (and its
 * holder is told), the removal is recorded as complete. Everything settled is audited with each
 * DC's delay; what the cap settled names the DCs that never confirmed it.
 */
export async function checkReplication(limit = 2000): Promise<ReplicationCheckResult> {
  const rows = [
    ...(await db.execute<PendingRow>(sql`
      -- A temporary-group grant's link in the target group is its temporary group's (written last).
      select g.id, g.request_id, g.group_guid, g.group_dn, coalesce(g.temp_group_guid, g.member_guid) as member_guid, g.member_dn, g.end_reason, g.replication,
             case when g.state = ${REPLICATING} then 'add' else 'remove' end as phase,
             case when g.state = ${REPLICATING} then g.activated_at else g.removed_at end as since,
             -- A newer grant put the member back: this removal will never show, and need not.
             g.state <> ${REPLICATING} and g.temp_group_guid is null and exists (
               select 1 from grants n
               where n.group_guid = g.group_guid and lower(n.member_guid) = lower(g.member_guid) and n.activated_at > g.removed_at
             ) as superseded
      from grants g
      where g.state = ${REPLICATING} or (g.removal_verified_at is null and g.activated_at is not null and g.state in ${statesSql(REMOVED_STATES)})
      order by since
      limit ${limit}`)),
  ];
  const result: ReplicationCheckResult = { pending: rows.length, activated: 0, removalsSettled: 0, unverified: 0, searches: 0, errors: [] };
  if (rows.length === 0) return result;

  const config = await loadReplicationConfig();
  const verifying = checksDomainControllers(config);
  const targets = config.dcs ?? [];
  const answers = verifying ? await askDcs(rows, targets, result) : new Map<string, Answer>();
  const [clock] = await db.execute<{ now: string }>(sql`select clock_timestamp()::text as now`);
  const checkedAt = new Date(clock!.now);

  const settledAdds: Settled[] = [];
  const settledRemovals: Settled[] = [];
  for (const row of rows) {
    const found = new Map<string, { seen: boolean; error: string | null }>();
    for (const dc of targets) {
      const a = answers.get(answerKey(row.group_guid, dc.host));
      if (!a) continue;
      const present = "present" in a && a.present.has(row.member_guid.toLowerCase());
      found.set(dc.host, "error" in a ? { seen: false, error: a.error } : { seen: row.phase === "add" ? present : !present, error: null });
    }
    const dcs = verifying
      ? mergeObservations(
          row.replication?.dcs ?? [],
          targets.map((t) => t.host),
          found,
          checkedAt,
        )
      : [];
    const observations: DcObservation[] = verifying && config.dcs === null ? [{ host: UNKNOWN_DCS, seen: false, error: config.dcError }] : observationsOf(dcs);
    const since = new Date(row.since);
    const elapsedMs = Math.max(0, checkedAt.getTime() - since.getTime());
    const decision: ReplicationDecision = row.superseded
      ? { settled: true, by: "superseded", unconfirmed: observations.filter((o) => !o.seen).map((o) => o.host) }
      : decideReplication(config, elapsedMs, observations);
    if (decision.settled) {
      const settled: Settled = { row, dcs, since, elapsedMs, decision, checkedAt };
      (row.phase === "add" ? settledAdds : settledRemovals).push(settled);
    } else if (JSON.stringify(dcs) !== JSON.stringify(row.replication?.dcs ?? [])) {
      // What the UI shows ("waiting for dc2"): written only when a DC's answer changed.
      await db
        .update(grants)
        .set({ replication: { phase: row.phase, dcs } })
        .where(and(eq(grants.id, row.id), row.phase === "add" ? eq(grants.state, "replicating") : isNull(grants.removalVerifiedAt)));
    }
  }

  if (settledAdds.length) result.activated = await settleAdds(config, settledAdds);
  if (settledRemovals.length) result.removalsSettled = await settleRemovals(config, settledRemovals);
  result.unverified = [...settledAdds, ...settledRemovals].filter((s) => s.decision.settled && s.decision.unconfirmed.length > 0).length;
  return result;
}

type Answer = { present: Set<string> } | { error: string };
const answerKey = (groupGuid: string, host: string) => `${groupGuid.toLowerCase()}|${host}`;

/** Asks each DC, per group, about the members whose change it has not shown yet; in parallel. */
async function askDcs(rows: PendingRow[], targets: DcTarget[], result: ReplicationCheckResult): Promise<Map<string, Answer>> {
  const asks = new Map<string, { groupGuid: string; groupDn: string; dc: DcTarget; members: Set<string> }>();
  for (const row of rows) {
    if (row.superseded) continue;
    const seen = new Set((row.replication?.dcs ?? []).filter((d) => d.seenAt).map((d) => d.host));
    for (const dc of targets) {
      if (seen.has(dc.host)) continue;
      const key = answerKey(row.group_guid, dc.host);
      const ask = asks.get(key) ?? { groupGuid: row.group_guid, groupDn: row.group_dn, dc, members: new Set<string>() };
      ask.members.add(row.member_guid.toLowerCase());
      asks.set(key, ask);
    }
  }
  const answers = new Map<string, Answer>();
  await Promise.all(
    [...asks].map(async ([key, ask]) => {
      try {
        answers.set(key, { present: await membersOnDc(ask.dc, ask.groupGuid, [...ask.members]) });
        result.searches++;
      } catch (err) {
        answers.set(key, { error: message(err) });
        result.errors.push({ host: ask.dc.host, groupDn: ask.groupDn, error: message(err) });
      }
    }),
  );
  return answers;
}

interface Settled {
  row: PendingRow;
  dcs: DcReplicationState[];
  since: Date;
  elapsedMs: number;
  decision: Extract<ReplicationDecision, { settled: true }>;
  checkedAt: Date;
}

function recordOf(s: Settled): GrantReplication {
  return { phase: s.row.phase, dcs: s.dcs, settled: { at: s.checkedAt.toISOString(), by: s.decision.by, unconfirmed: s.decision.unconfirmed } };
}

function outcomeOf(config: ReplicationSettings, s: Settled) {
  return {
    groupDn: s.row.group_dn,
    memberDn: s.row.member_dn,
    mode: config.mode,
    settledBy: s.decision.by,
    verified: s.decision.by === "verified" || s.decision.by === "verified+latency",
    elapsedMs: Math.round(s.elapsedMs),
    dcs: s.dcs.map((d) => ({ host: d.host, seenAfterMs: d.seenAt ? Math.max(0, new Date(d.seenAt).getTime() - s.since.getTime()) : null, error: d.error })),
    unconfirmed: s.decision.unconfirmed,
  };
}

const byGrantId = (settled: Settled[]) => [...settled].sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0));

/** replicating → active, the holder told ("granted") now that access is everywhere. */
async function settleAdds(config: ReplicationSettings, settled: Settled[]): Promise<number> {
  assertTransition("replicating", "active");
  return db.transaction(async (tx) => {
    const events: AuditEvent[] = [];
    const granted: { requestId: string; grantId: string }[] = [];
    // In id order, as endGrant locks a request's grants: the two cannot deadlock.
    for (const s of byGrantId(settled)) {
      const [row] = await tx
        .update(grants)
        .set({ state: "active", replication: recordOf(s), updatedAt: sql`now()` })
        .where(and(eq(grants.id, s.row.id), eq(grants.state, "replicating")))
        .returning({ endReason: grants.endReason });
      if (!row) continue;
      events.push({ action: "grant.replicated", targetType: "grant", targetId: s.row.id, data: outcomeOf(config, s) });
      // Ended while replicating: the sweep removes it; no "granted" for access already on its way out.
      if (!row.endReason) granted.push({ requestId: s.row.request_id, grantId: s.row.id });
    }
    await recordTransition(tx, { notify: [{ event: "granted", items: granted }], audit: { actor: SYSTEM_ACTOR, events } });
    return events.length;
  });
}

/** The removal is complete: no DC shows the membership (or the settings count it done). */
async function settleRemovals(config: ReplicationSettings, settled: Settled[]): Promise<number> {
  return db.transaction(async (tx) => {
    const events: AuditEvent[] = [];
    for (const s of byGrantId(settled)) {
      const [row] = await tx
        .update(grants)
        .set({ removalVerifiedAt: s.checkedAt, replication: recordOf(s) })
        .where(and(eq(grants.id, s.row.id), isNull(grants.removalVerifiedAt)))
        .returning({ id: grants.id });
      if (row) events.push({ action: "grant.removal_replicated", targetType: "grant", targetId: s.row.id, data: outcomeOf(config, s) });
    }
    await recordAudit(tx, SYSTEM_ACTOR, events);
    return events.length;
  });
}

/** Whether anything waits for replication (one cheap query: the poller runs it every few seconds). */
export async function replicationPending(): Promise<boolean> {
  const [row] = await db.execute<{ pending: boolean }>(sql`
    select exists (select 1 from grants where state = ${REPLICATING})
        or exists (select 1 from grants where removal_verified_at is null and activated_at is not null and state in ${statesSql(REMOVED_STATES)}) as pending`);
  return row?.pending === true;
}

const REPLICATION_LOCK = 0x1a7e_4e91;

/** checkReplication, one run at a time across workers (a run that finds another in progress skips). */
export async function checkReplicationExclusive(): Promise<ReplicationCheckResult | null> {
  const run = await withSessionLock(REPLICATION_LOCK, () => checkReplication());
  return run.ran ? run.value : null;
}
