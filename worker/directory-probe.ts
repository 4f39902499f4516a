import type { Logger } from "pino";
import { directoryAnswers, openOutages, setOutageKnown } from "@/server/directory/outages";
import { resumeAfterOutage } from "@/server/grants/recovery";

/**
 * Watches open directory outages (server/directory/outages.ts): every `everyMs` it reads them (any
 * worker may have opened one), and while one is open tries a service bind to its DCs. The first
 * answer closes it and runs what waited (server/grants/recovery.ts). With no outage open it costs
 * one indexed read per tick.
 */
export function startDirectoryProbe(log: Logger, everyMs: number): { stop: () => Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        const open = await openOutages();
        setOutageKnown(open.length > 0);
        for (const outage of open) {
          if (!(await directoryAnswers(outage.dcUrl))) continue;
          const resumed = await resumeAfterOutage(outage);
          if (resumed) log.info({ dcUrl: outage.dcUrl, since: outage.startedAt, ...resumed }, "directory answers again: outage closed, waiting work resumed");
        }
      } catch (err) {
        log.error({ err }, "directory probe");
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, everyMs);
      });
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
