import type { Logger } from "pino";
import { db } from "@/db";
import { directorySettings } from "@/db/schema";
import { SYSTEM_ACTOR } from "@/server/audit/events";
import { checkDirectory } from "@/server/directory/settings";
import { checkReplicationExclusive, replicationPending } from "@/server/grants/replication";
import { startPoller } from "./poller";

const WARN_EVERY_MS = 60_000;
/** The stored list of DCs is read again when older than this and replication is being followed. */
const DC_LIST_MAX_AGE_MS = 3_600_000;

/**
 * Follows replication: every few seconds, when a grant is replicating or a removal is not yet
 * confirmed on every DC, asks the DCs (see checkReplication). One run at a time across workers.
 */
export function startReplicationPoller(log: Logger, everyMs: number): { stop: () => Promise<void> } {
  // A DC that is down fails every check until the cap: say so when the failing DCs change, and once a minute.
  let lastWarning = { hosts: "", at: 0 };
  return startPoller(
    everyMs,
    async () => {
      if (!(await replicationPending())) return;
      await refreshDcListIfStale(log);
      const r = await checkReplicationExclusive();
      if (r && (r.activated || r.removalsSettled)) {
        log.info(
          { activated: r.activated, removalsSettled: r.removalsSettled, unverified: r.unverified, pending: r.pending, searches: r.searches },
          "replication settled",
        );
      }
      const hosts = [...new Set(r?.errors.map((e) => e.host))].sort().join(",");
      if (hosts && (hosts !== lastWarning.hosts || Date.now() - lastWarning.at >= WARN_EVERY_MS)) {
        log.warn({ errors: r!.errors.slice(0, 5), count: r!.errors.length }, "replication check could not read some domain controllers");
        lastWarning = { hosts, at: Date.now() };
      }
      if (!hosts) lastWarning = { hosts: "", at: 0 };
    },
    (err) => log.error({ err: err instanceof Error ? err.message : String(err) }, "replication check failed; next try soon"),
  );
}

/** A DC added to (or removed from) the domain since the last directory check is followed within the hour. */
async function refreshDcListIfStale(log: Logger) {
  const [row] = await db.select({ checkedAt: directorySettings.checkedAt }).from(directorySettings);
  if (row?.checkedAt && Date.now() - row.checkedAt.getTime() < DC_LIST_MAX_AGE_MS) return;
  await checkDirectory(SYSTEM_ACTOR).catch((err: Error) =>
    log.warn({ err: err.message }, "directory check failed; replication checks use the DCs known so far"),
  );
}
